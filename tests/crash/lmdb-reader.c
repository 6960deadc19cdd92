/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A reader of passgate's store that is meant to be SIGKILLed: opens the LMDB environment in DIR
 * read-only, begins a read transaction (which takes a slot in the reader table of lock.mdb), prints
 * "ready PID TXNID" and waits. Killed, it leaves its slot behind: a stale reader.
 *
 * With --hold it only keeps the environment open (no transaction, no slot; TXNID is 0). LMDB resets
 * the reader table when a process opens an environment nobody else has open, so a stale slot only
 * outlives a restart of passgated, and only mdb_reader_check() clears it, while another process
 * holds the environment (tests/crash/test_stale_reader.py, test_sigkill.py).
 */
#include <lmdb.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char *argv[])
{
        MDB_env *env;
        MDB_txn *txn = NULL;
        int hold = argc == 3 && strcmp(argv[1], "--hold") == 0;
        int rc;

        if (argc != 2 && !hold) {
                fprintf(stderr, "usage: %s [--hold] DIR\n", argv[0]);
                return 2;
        }
        rc = mdb_env_create(&env);
        if (rc == 0)
                rc = mdb_env_open(env, argv[argc - 1], MDB_RDONLY, 0600);
        if (rc == 0 && !hold)
                rc = mdb_txn_begin(env, NULL, MDB_RDONLY, &txn);
        if (rc != 0) {
                fprintf(stderr, "lmdb-reader: %s: %s\n", argv[argc - 1], mdb_strerror(rc));
                return 1;
        }
        printf("ready %ld %zu\n", (long)getpid(), txn ? mdb_txn_id(txn) : 0);
        fflush(stdout);
        for (;;)
                pause();
}
