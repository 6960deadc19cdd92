/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target of the conversations (daemon/conversation.c, conv-login.c, conv-change.c,
 * conv-recovery.c): the real daemon, set up by daemon_setup(), runs in this process on a private
 * dbus-daemon with the strict system bus policy (as tests/harness/sandbox.py writes it), and a
 * second connection is the client, as the PAM module would be, giving the answers of the input.
 *
 * The first byte of an input picks the flow (byte mod 3: login, change-password, recovery), the
 * login BeginConversation gets ((byte / 3) mod 7, see login_of()) and the client's locale
 * ((byte / 21) mod 3). The rest, split on '\n', is the answers: Step({}) first, then
 * Step({"Value": answer}) for each (32 at most), until the flow is done or failed; a conversation
 * still open then is cancelled. An answer sd-bus cannot send as a string (not UTF-8, a NUL in it)
 * is sent as Step({}), as a client acknowledges an info step.
 *
 * Whatever the answers: every reply is a documented kind with an Id and a Message, or one of the
 * few D-Bus errors a client can cause; a login is done only with the real password of the account
 * it names (the passwords are this file's: inputs that do not hold one never log in), a change
 * only with the real old one; no reply holds a password of an account or a document number, but
 * for one the client typed itself as its login or contact; a finished conversation is gone; and
 * the daemon still answers GetPasswordPolicy afterwards.
 *
 * Before each input, through the daemon's own methods, the accounts' failures and locks are
 * undone, and an account whose password an input changed is made anew; the daemon's clock
 * (PASSGATE_TEST_CLOCK_FILE, a test_hooks build) moves two hours on, past every delay and hourly
 * limit: an input does what it did when the fuzzer kept it, not what the ones before it left
 * behind.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <locale.h>
#include <pwd.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bus-names.h"
#include "clock.h"
#include "daemon-setup.h"
#include "fuzz.h"
#include "i18n.h"
#include "macro.h"

/* Each answer is a bus round trip and maybe a hash: bound the work of one input. */
#define MAX_ANSWERS 32
/* Min-cost hashes take milliseconds even under ASan: a daemon this late has hung. */
#define CALL_TIMEOUT_USEC (5 * USEC_PER_SEC)
/* Longer than the longest lockout delay (max_delay is at most an hour) and any hourly limit. */
#define CLOCK_STEP_SEC (2 * 3600)

#define POLKIT_NAME "org.freedesktop.PolicyKit1"
#define POLKIT_PATH "/org/freedesktop/PolicyKit1/Authority"

typedef struct FuzzAccount {
        char *user;
        const char *password, *phone, *email;
        const char *documents[_DOC_MAX];
        char *hash; /* of password as stored: another one means an input changed it */
} FuzzAccount;

static FuzzAccount accounts[] = {
        { .password = "amber-lattice42-9f3c-osprey",
          .phone = "+79123456701",
          .email = "fuzz0@example.org",
          .documents = { [DOC_PASSPORT] = "4509 123456",
                         [DOC_SNILS] = "112-233-445 95",
                         [DOC_INN] = "770123456703" } },
        { .password = "walnut-tundra77-1b2d-juniper",
          .phone = "+79123456702",
          .email = "fuzz1@example.org",
          .documents = { [DOC_PASSPORT] = "4510 654321",
                         [DOC_SNILS] = "156-987-234 27",
                         [DOC_INN] = "771234567859" } },
};
static size_t n_accounts;

/* The passwords and the document numbers, as typed and as digits only. */
static char *secrets[ELEMENTSOF(accounts) * (1 + 2 * _DOC_MAX)];
static size_t n_secrets;

static Daemon pg;
static sd_bus *client;
static pid_t bus_pid;
static char tmp_dir[PATH_MAX], clock_path[PATH_MAX], spool_path[PATH_MAX];
static long long clock_sec;

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        (void)remove(path);
        return 0;
}

static void cleanup(void)
{
        client = sd_bus_flush_close_unref(client);
        daemon_teardown(&pg);
        if (bus_pid > 0) {
                kill(bus_pid, SIGTERM);
                (void)waitpid(bus_pid, NULL, 0);
        }
        (void)nftw(tmp_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* A file in the temporary directory; a TMPDIR too long for it is a broken setup. */
static void tmp_path(char buf[static PATH_MAX], const char *name)
{
        FUZZ_CHECK(snprintf(buf, PATH_MAX, "%s/%s", tmp_dir, name) < PATH_MAX);
}

static void write_file(const char *path, const char *text)
{
        char tmp[PATH_MAX];
        FILE *f;

        /* Renamed into place: the daemon's threads never read half a clock. */
        FUZZ_CHECK(snprintf(tmp, sizeof tmp, "%s.tmp", path) < PATH_MAX);
        f = fopen(tmp, "we");
        FUZZ_CHECK(f);
        FUZZ_CHECK(fputs(text, f) >= 0);
        FUZZ_CHECK(fclose(f) == 0);
        FUZZ_CHECK(rename(tmp, path) == 0);
}

/* As sandbox.py's write_bus_conf(): the default policy of Debian's system.conf, the policy
 * passgate ships, and test-only lines for this uid (the name, and polkit when not root). */
static void write_bus_conf(const char *path, const char *me)
{
        char conf[8192];

        FUZZ_CHECK(
                snprintf(conf, sizeof conf,
                         "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration "
                         "1.0//EN\"\n"
                         " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
                         "<busconfig>\n"
                         "  <type>system</type>\n"
                         "  <listen>unix:path=%s/system_bus_socket</listen>\n"
                         "  <auth>EXTERNAL</auth>\n"
                         "  <policy context=\"default\">\n"
                         "    <allow user=\"*\"/>\n"
                         "    <deny own=\"*\"/>\n"
                         "    <deny send_type=\"method_call\"/>\n"
                         "    <allow send_type=\"signal\"/>\n"
                         "    <allow send_requested_reply=\"true\" send_type=\"method_return\"/>\n"
                         "    <allow send_requested_reply=\"true\" send_type=\"error\"/>\n"
                         "    <allow receive_type=\"method_call\"/>\n"
                         "    <allow receive_type=\"method_return\"/>\n"
                         "    <allow receive_type=\"error\"/>\n"
                         "    <allow receive_type=\"signal\"/>\n"
                         "    <allow send_destination=\"org.freedesktop.DBus\" "
                         "send_interface=\"org.freedesktop.DBus\"/>\n"
                         "    <allow send_destination=\"org.freedesktop.DBus\" "
                         "send_interface=\"org.freedesktop.DBus.Introspectable\"/>\n"
                         "    <allow send_destination=\"org.freedesktop.DBus\" "
                         "send_interface=\"org.freedesktop.DBus.Properties\"/>\n"
                         "    <allow send_destination=\"org.freedesktop.DBus\" "
                         "send_interface=\"org.freedesktop.DBus.Containers1\"/>\n"
                         "    <deny send_destination=\"org.freedesktop.DBus\" "
                         "send_interface=\"org.freedesktop.DBus\" "
                         "send_member=\"UpdateActivationEnvironment\"/>\n"
                         "    <deny send_destination=\"org.freedesktop.DBus\" "
                         "send_interface=\"org.freedesktop.DBus.Debug.Stats\"/>\n"
                         "    <deny send_destination=\"org.freedesktop.DBus\" "
                         "send_interface=\"org.freedesktop.systemd1.Activator\"/>\n"
                         "  </policy>\n"
                         "  <policy user=\"root\">\n"
                         "    <allow send_destination=\"org.freedesktop.DBus\" "
                         "send_interface=\"org.freedesktop.DBus.Monitoring\"/>\n"
                         "  </policy>\n"
                         "  <include>" PASSGATE_SOURCE_ROOT "/dbus/org.passgate1.conf</include>\n"
                         "  <policy user=\"%s\">\n"
                         "    <allow own=\"" PG_BUS_NAME "\"/>\n"
                         "    <allow own=\"" POLKIT_NAME "\"/>\n"
                         "  </policy>\n"
                         "  <policy context=\"default\">\n"
                         "    <allow send_destination=\"" POLKIT_NAME "\"/>\n"
                         "  </policy>\n"
                         "</busconfig>\n",
                         tmp_dir, me) < (int)sizeof conf);
        write_file(path, conf);
}

/* dbus-daemon with that configuration; DBUS_SYSTEM_BUS_ADDRESS names it once it listens. */
static void start_bus(const char *conf_path)
{
        char conf_arg[PATH_MAX + 16], fd_arg[32], address[PATH_MAX];
        pid_t parent = getpid();
        size_t n = 0;
        int fds[2];

        FUZZ_CHECK(pipe2(fds, O_CLOEXEC) == 0);
        bus_pid = fork();
        FUZZ_CHECK(bus_pid >= 0);
        if (bus_pid == 0) {
                /* Gone with the fuzzer even when it crashes or is killed; its own session, so
                 * that Ctrl-C reaches libFuzzer only, which then stops it in cleanup(). */
                if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != parent || setsid() < 0 ||
                    fcntl(fds[1], F_SETFD, 0) < 0)
                        _exit(EXIT_FAILURE);
                snprintf(conf_arg, sizeof conf_arg, "--config-file=%s", conf_path);
                snprintf(fd_arg, sizeof fd_arg, "--print-address=%d", fds[1]);
                execlp("dbus-daemon", "dbus-daemon", conf_arg, "--nofork", "--nopidfile", fd_arg,
                       (char *)NULL);
                _exit(127);
        }
        close(fds[1]);
        /* The address comes once it listens; end of file: it failed, and said why on stderr. */
        while (n < sizeof address - 1) {
                ssize_t k = read(fds[0], address + n, sizeof address - 1 - n);
                if (k < 0 && errno == EINTR)
                        continue;
                FUZZ_CHECK(k > 0);
                n += (size_t)k;
                if (address[n - 1] == '\n')
                        break;
        }
        close(fds[0]);
        FUZZ_CHECK(n > 1 && address[n - 1] == '\n');
        address[n - 1] = 0;
        FUZZ_CHECK(setenv("DBUS_SYSTEM_BUS_ADDRESS", address, 1) == 0);
}

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        *(sd_bus_message **)userdata = sd_bus_message_ref(m);
        return 0;
}

/* Sends m and runs the daemon's loop, which serves both connections, until the answer is in. A
 * daemon that does not answer in time gets sd-bus's NoReply error, which no check accepts. */
static sd_bus_message *call(sd_bus_message *m)
{
        sd_bus_message *reply = NULL;

        FUZZ_CHECK(sd_bus_call_async(client, NULL, m, on_reply, &reply, CALL_TIMEOUT_USEC) >= 0);
        sd_bus_message_unref(m);
        while (!reply)
                FUZZ_CHECK(sd_event_run(pg.event, UINT64_MAX) >= 0);
        return reply;
}

static sd_bus_message *new_call(const char *path, const char *interface, const char *member)
{
        sd_bus_message *m = NULL;

        FUZZ_CHECK(sd_bus_message_new_method_call(client, &m, PG_BUS_NAME, path, interface,
                                                  member) >= 0);
        return m;
}

static void check_ok(sd_bus_message *reply)
{
        const sd_bus_error *e = sd_bus_message_get_error(reply);

        if (e)
                fprintf(stderr, "fuzz-conversation: %s: %s\n", e->name, e->message);
        FUZZ_CHECK(!e);
        sd_bus_message_unref(reply);
}

/* Root passes authz_admin() on its own; another uid is allowed every action here, as the tests'
 * polkit mock allows it, by the client connection answering for polkit. */
static int polkit_check(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        return sd_bus_reply_method_return(m, "(bba{ss})", 1, 0, 0);
}

static const sd_bus_vtable polkit_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD("CheckAuthorization", "(sa{sv})sa{ss}us", "(bba{ss})", polkit_check, 0),
        SD_BUS_VTABLE_END,
};

static void read_hash(FuzzAccount *a)
{
        Account stored = {};

        FUZZ_CHECK(store_read_account(pg.store, a->user, &stored) == 0);
        FUZZ_CHECK(stored.password_hash);
        free(a->hash);
        a->hash = strdup(stored.password_hash);
        FUZZ_CHECK(a->hash);
        account_clear(&stored);
}

/* A method of Accounts about one account, called as an administrator would call it. */
static sd_bus_message *new_admin_call(const char *member, const FuzzAccount *a)
{
        sd_bus_message *m = new_call(PG_OBJECT_PATH, PG_IFACE_ACCOUNTS, member);

        FUZZ_CHECK(sd_bus_message_append(m, "s", a->user) >= 0);
        return m;
}

static void create_account(FuzzAccount *a)
{
        sd_bus_message *m = new_admin_call("CreateAccount", a);

        FUZZ_CHECK(sd_bus_message_append(m, "a{sv}", 3, "Phone", "s", a->phone, "Email", "s",
                                         a->email, "Documents", "a{ss}", 3,
                                         doc_type_to_string(DOC_PASSPORT),
                                         a->documents[DOC_PASSPORT], doc_type_to_string(DOC_SNILS),
                                         a->documents[DOC_SNILS], doc_type_to_string(DOC_INN),
                                         a->documents[DOC_INN]) >= 0);
        check_ok(call(m));
        m = new_admin_call("SetPassword", a);
        FUZZ_CHECK(sd_bus_message_append(m, "sb", a->password, 0) >= 0);
        check_ok(call(m));
        read_hash(a);
}

static void add_secret(const char *s, bool digits_only)
{
        char *copy = strdup(s), *to = copy;

        FUZZ_CHECK(copy && n_secrets < ELEMENTSOF(secrets));
        for (const char *p = s; digits_only && *p; p++)
                if (*p >= '0' && *p <= '9')
                        *to++ = *p;
        if (digits_only)
                *to = 0;
        secrets[n_secrets++] = copy;
}

/* The invoking user (the only one a non-root change-password may name) and one more. */
static void pick_users(void)
{
        static const char *const others[] = { "root", "nobody", "daemon" };
        struct passwd *pw = getpwuid(geteuid());

        FUZZ_CHECK(pw);
        accounts[0].user = strdup(pw->pw_name);
        FUZZ_CHECK(accounts[0].user);
        n_accounts = 1;
        for (size_t i = 0; i < ELEMENTSOF(others) && n_accounts < ELEMENTSOF(accounts); i++)
                if (!streq(others[i], accounts[0].user) && getpwnam(others[i])) {
                        accounts[1].user = strdup(others[i]);
                        FUZZ_CHECK(accounts[1].user);
                        n_accounts = 2;
                }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        const char *tmp = getenv("TMPDIR");
        char path[PATH_MAX], conf[PATH_MAX], text[4 * PATH_MAX];
        sigset_t mask;

        /* As passgated's main() before it sets up. */
        setlocale(LC_ALL, "");
        FUZZ_CHECK(i18n_setup() == 0);
        FUZZ_CHECK(sodium_init() >= 0);

        FUZZ_CHECK(snprintf(tmp_dir, sizeof tmp_dir, "%s/pg-fuzz-conv-XXXXXX", tmp ? tmp : "/tmp") <
                   PATH_MAX);
        FUZZ_CHECK(mkdtemp(tmp_dir));
        FUZZ_CHECK(atexit(cleanup) == 0);

        tmp_path(path, "bus.conf");
        pick_users();
        write_bus_conf(path, accounts[0].user);
        start_bus(path);

        tmp_path(clock_path, "clock");
        write_file(clock_path, "0\n");
        FUZZ_CHECK(setenv("PASSGATE_TEST_CLOCK_FILE", clock_path, 1) == 0);
        tmp_path(spool_path, "spool");

        /* The limits of a recovery raised: with the defaults most inputs would only be told to try
         * later. Every code and notice goes to the spool. */
        FUZZ_CHECK(
                snprintf(
                        text, sizeof text,
                        "[store]\npepper = %s/pepper\n"
                        "[password]\nhash_cost = min\n"
                        "[delivery]\nsms = spool:%s\nemail = spool:%s\nmessages_per_hour = 100000\n"
                        "[recovery]\nattempts_per_hour = 20\ncaller_attempts_per_hour = 1000\n"
                        "[daemon]\nhash_workers = 1\n",
                        tmp_dir, spool_path, spool_path) < (int)sizeof text);
        tmp_path(conf, "passgate.conf");
        write_file(conf, text);
        tmp_path(path, "state");
        FUZZ_CHECK(mkdir(path, 0700) == 0);
        FUZZ_CHECK(daemon_setup(&pg, conf, path) == 0);
        /* Blocked for the daemon's workers; this thread gives them back to libFuzzer's handlers. */
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        FUZZ_CHECK(sigprocmask(SIG_UNBLOCK, &mask, NULL) == 0);

        FUZZ_CHECK(sd_bus_open_system(&client) >= 0);
        FUZZ_CHECK(sd_bus_attach_event(client, pg.event, 0) >= 0);
        if (geteuid() != 0) {
                FUZZ_CHECK(sd_bus_add_object_vtable(client, NULL, POLKIT_PATH,
                                                    POLKIT_NAME ".Authority", polkit_vtable,
                                                    NULL) >= 0);
                FUZZ_CHECK(sd_bus_request_name(client, POLKIT_NAME, 0) >= 0);
        }

        for (size_t i = 0; i < n_accounts; i++) {
                create_account(&accounts[i]);
                add_secret(accounts[i].password, false);
                for (DocType t = 0; t < _DOC_MAX; t++) {
                        add_secret(accounts[i].documents[t], false);
                        add_secret(accounts[i].documents[t], true);
                }
        }
        return 0;
}

/* Unlinks the codes and notices sent so far; messages still being written are dot-files. */
static void clean_spool(void)
{
        DIR *dir = opendir(spool_path);
        struct dirent *e;

        if (!dir)
                return;
        while ((e = readdir(dir)))
                if (e->d_name[0] != '.')
                        (void)unlinkat(dirfd(dir), e->d_name, 0);
        closedir(dir);
}

static void reset_state(void)
{
        char text[32];

        clock_sec += CLOCK_STEP_SEC;
        snprintf(text, sizeof text, "%lld\n", clock_sec);
        write_file(clock_path, text);
        for (size_t i = 0; i < n_accounts; i++) {
                FuzzAccount *a = &accounts[i];
                Account stored = {};

                FUZZ_CHECK(store_read_account(pg.store, a->user, &stored) == 0);
                bool blocked = stored.failures || stored.locked || stored.disabled;
                bool changed = !streq_ptr(stored.password_hash, a->hash);
                account_clear(&stored);
                /* A changed password is in the history now: only a new account forgets it. */
                if (changed) {
                        check_ok(call(new_admin_call("DeleteAccount", a)));
                        create_account(a);
                } else if (blocked)
                        check_ok(call(new_admin_call("UnlockAccount", a)));
        }
        clean_spool();
}

/* What the client typed as its login or contact in this input: a recovery shows it back masked,
 * an e-mail with its domain in full, so whatever it holds may come back. */
static const char *contacts[MAX_ANSWERS + 2];
static size_t n_contacts;

static bool typed_as_contact(const char *secret)
{
        for (size_t i = 0; i < n_contacts; i++)
                if (strstr(contacts[i], secret))
                        return true;
        return false;
}

static void check_text(const char *s)
{
        for (size_t i = 0; i < n_secrets; i++)
                if (strstr(s, secrets[i]) && !typed_as_contact(secrets[i])) {
                        fprintf(stderr, "fuzz-conversation: a secret in a reply: %s\n", s);
                        abort();
                }
}

/* A Step's answer, pointing into its message. */
typedef struct Prompt {
        const char *kind, *id, *message, *notice, *user, *error, *password;
        bool has_change_required;
        int change_required;
        unsigned n_choices;
} Prompt;

static void read_choices(sd_bus_message *reply, Prompt *p)
{
        const char *id, *label;
        int r;

        FUZZ_CHECK(sd_bus_message_enter_container(reply, 'v', "a(ss)") > 0);
        FUZZ_CHECK(sd_bus_message_enter_container(reply, 'a', "(ss)") > 0);
        while ((r = sd_bus_message_read(reply, "(ss)", &id, &label)) > 0) {
                check_text(id);
                check_text(label);
                p->n_choices++;
        }
        FUZZ_CHECK(r == 0);
        FUZZ_CHECK(sd_bus_message_exit_container(reply) > 0);
        FUZZ_CHECK(sd_bus_message_exit_container(reply) > 0);
}

/* Every key of the interface's documentation with its type, once; no other. */
static void read_prompt(sd_bus_message *reply, Prompt *p)
{
        static const char *const kinds[] = { PG_STEP_SECRET, PG_STEP_TEXT, PG_STEP_CHOICE,
                                             PG_STEP_INFO,   PG_STEP_DONE, PG_STEP_FAILED };
        bool known = false;
        int r;

        *p = (Prompt){};
        FUZZ_CHECK(streq(sd_bus_message_get_signature(reply, true), "sa{sv}"));
        FUZZ_CHECK(sd_bus_message_read(reply, "s", &p->kind) > 0);
        for (size_t i = 0; i < ELEMENTSOF(kinds); i++)
                known = known || streq(p->kind, kinds[i]);
        FUZZ_CHECK(known);
        FUZZ_CHECK(sd_bus_message_enter_container(reply, 'a', "{sv}") > 0);
        while ((r = sd_bus_message_enter_container(reply, 'e', "sv")) > 0) {
                const char *key, **field;

                FUZZ_CHECK(sd_bus_message_read(reply, "s", &key) > 0);
                if (streq(key, "Choices")) {
                        FUZZ_CHECK(p->n_choices == 0);
                        read_choices(reply, p);
                        FUZZ_CHECK(p->n_choices > 0);
                } else if (streq(key, "PasswordChangeRequired")) {
                        FUZZ_CHECK(!p->has_change_required);
                        FUZZ_CHECK(sd_bus_message_read(reply, "v", "b", &p->change_required) > 0);
                        p->has_change_required = true;
                } else {
                        field = streq(key, "Id")         ? &p->id
                                : streq(key, "Message")  ? &p->message
                                : streq(key, "Notice")   ? &p->notice
                                : streq(key, "User")     ? &p->user
                                : streq(key, "Error")    ? &p->error
                                : streq(key, "Password") ? &p->password
                                                         : NULL;
                        FUZZ_CHECK(field && !*field);
                        FUZZ_CHECK(sd_bus_message_read(reply, "v", "s", field) > 0);
                        check_text(*field);
                }
                FUZZ_CHECK(sd_bus_message_exit_container(reply) > 0);
        }
        FUZZ_CHECK(r == 0);
        FUZZ_CHECK(sd_bus_message_exit_container(reply) > 0);

        bool done = streq(p->kind, PG_STEP_DONE), failed = streq(p->kind, PG_STEP_FAILED);
        FUZZ_CHECK(p->id && *p->id && p->message);
        FUZZ_CHECK((p->n_choices > 0) == streq(p->kind, PG_STEP_CHOICE));
        FUZZ_CHECK(!p->password || streq(p->kind, PG_STEP_INFO));
        FUZZ_CHECK(!!p->user == done && p->has_change_required == done);
        FUZZ_CHECK(!!p->error == failed);
        FUZZ_CHECK(!failed || !strncmp(p->error, PG_ERROR_PREFIX, strlen(PG_ERROR_PREFIX)));
}

/* An error reply: one of those named, and no secret in its text either. */
static bool is_error(sd_bus_message *reply, const char *const *allowed)
{
        const sd_bus_error *e = sd_bus_message_get_error(reply);

        if (!e)
                return false;
        check_text(e->message);
        for (; *allowed; allowed++)
                if (streq(e->name, *allowed))
                        return true;
        fprintf(stderr, "fuzz-conversation: unexpected error %s: %s\n", e->name, e->message);
        abort();
}

static const FuzzAccount *account_named(const char *user)
{
        for (size_t i = 0; i < n_accounts; i++)
                if (streq(accounts[i].user, user))
                        return &accounts[i];
        return NULL;
}

/* As the daemon compares them: NFKC. */
static bool same_password(const char *typed, const char *password)
{
        _cleanup_erase_ char *a = NULL, *b = NULL;

        return typed && password_normalize(typed, &a) == 0 &&
               password_normalize(password, &b) == 0 && streq(a, b);
}

/* The login of BeginConversation, from the first byte; NULL: the input's first line. */
static const char *login_of(unsigned k)
{
        switch (k) {
        case 0:
                return "";
        case 1:
                return accounts[0].user;
        case 2:
                return accounts[n_accounts - 1].user;
        case 3:
                return "8 912 345-67-01"; /* the first account's phone, nationally */
        case 4:
                return "fuzz1@example.org"; /* the second account's e-mail */
        case 5:
                return "+7 912 345-67-99"; /* nobody's */
        default:
                return NULL;
        }
}

static sd_bus_message *begin(const char *flow, const char *login, const char *locale)
{
        sd_bus_message *m = new_call(PG_OBJECT_PATH, PG_IFACE_MANAGER, "BeginConversation");
        int r = sd_bus_message_append(m, "ss", flow, login);

        /* sd-bus refuses what is no D-Bus string, and m with it: such a login goes as none. */
        if (r < 0) {
                FUZZ_CHECK(r == -EINVAL);
                sd_bus_message_unref(m);
                m = new_call(PG_OBJECT_PATH, PG_IFACE_MANAGER, "BeginConversation");
                FUZZ_CHECK(sd_bus_message_append(m, "ss", flow, "") >= 0);
        }
        if (locale)
                FUZZ_CHECK(sd_bus_message_append(m, "a{sv}", 2, "Service", "s", "passgate-fuzz",
                                                 "Locale", "s", locale) >= 0);
        else
                FUZZ_CHECK(sd_bus_message_append(m, "a{sv}", 1, "Service", "s", "passgate-fuzz") >=
                           0);
        return call(m);
}

static sd_bus_message *step(const char *path, const char *value)
{
        sd_bus_message *m = new_call(path, PG_IFACE_CONVERSATION, "Step");

        if (value) {
                int r = sd_bus_message_append(m, "a{sv}", 1, "Value", "s", value);
                if (r >= 0)
                        return call(m);
                /* sd-bus refuses what is no D-Bus string, and m with it: it goes as no answer. */
                FUZZ_CHECK(r == -EINVAL);
                sd_bus_message_unref(m);
                m = new_call(path, PG_IFACE_CONVERSATION, "Step");
        }
        FUZZ_CHECK(sd_bus_message_append(m, "a{sv}", 0) >= 0);
        return call(m);
}

/*
 * Runs a begun conversation through its answers, checking each reply; true when it finished (done
 * or failed) and so is gone.
 */
static bool converse(const char *path, const char *flow, const char *const *answers, size_t n)
{
        static const char *const step_errors[] = { PG_ERROR_INVALID_ARGS, NULL };
        const char *password = NULL, *old_password = NULL;
        sd_bus_message *reply = step(path, NULL);
        char id[64] = "";

        for (size_t i = 0;; i++) {
                Prompt p;
                bool finished = false;

                /* An answer refused with an error leaves the question as it was. */
                if (!is_error(reply, step_errors)) {
                        read_prompt(reply, &p);
                        snprintf(id, sizeof id, "%s", p.id);
                        finished = streq(p.kind, PG_STEP_DONE) || streq(p.kind, PG_STEP_FAILED);
                }
                if (finished && streq(p.kind, PG_STEP_DONE)) {
                        const FuzzAccount *a = account_named(p.user);
                        FUZZ_CHECK(a);
                        /* The fuzzer may have a password from the seeds: then, and only then. */
                        if (streq(flow, PG_FLOW_LOGIN))
                                FUZZ_CHECK(same_password(password, a->password) &&
                                           !p.change_required);
                        else if (streq(flow, PG_FLOW_CHANGE_PASSWORD))
                                FUZZ_CHECK(same_password(old_password, a->password));
                }
                sd_bus_message_unref(reply);
                if (finished || i >= n)
                        return finished;
                if (streq(id, "password"))
                        password = answers[i];
                else if (streq(id, "old-password"))
                        old_password = answers[i];
                else if (streq(id, "identifier") && answers[i])
                        contacts[n_contacts++] = answers[i];
                reply = step(path, answers[i]);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static const char *const flows[] = { PG_FLOW_LOGIN, PG_FLOW_CHANGE_PASSWORD,
                                             PG_FLOW_RECOVERY };
        static const char *const locales[] = { NULL, "ru_RU.UTF-8", "lv_LV.UTF-8" };
        static const char *const begin_errors[] = { PG_ERROR_INVALID_ARGS, PG_ERROR_ACCESS_DENIED,
                                                    PG_ERROR_NO_SUCH_ACCOUNT, NULL };
        static const char *const gone_errors[] = { "org.freedesktop.DBus.Error.UnknownObject",
                                                   NULL };
        const char *answers[MAX_ANSWERS + 1];
        size_t n = 0, first = 0;
        _cleanup_free_ char *text = NULL, *path = NULL;
        sd_bus_message *reply;

        if (size < 1)
                return 0;
        const char *flow = flows[data[0] % 3], *login = login_of(data[0] / 3 % 7),
                   *locale = locales[data[0] / 21 % 3];

        /* Lines, as in a text file: each ends at a '\n' or at the end. One with a NUL in it is no
         * D-Bus string: it is kept as none (NULL). */
        text = fuzz_string(data + 1, size - 1);
        for (char *s = text, *end = text + size - 1; s < end && n < ELEMENTSOF(answers);) {
                char *nl = memchr(s, '\n', (size_t)(end - s));
                size_t len = nl ? (size_t)(nl - s) : (size_t)(end - s);
                s[len] = 0;
                answers[n++] = strlen(s) == len ? s : NULL;
                s += len + 1;
        }
        if (!login) {
                login = n > 0 && answers[0] ? answers[0] : "";
                first = n > 0;
        }

        reset_state();
        contacts[0] = login;
        n_contacts = 1;
        reply = begin(flow, login, locale);
        if (!is_error(reply, begin_errors)) {
                const char *o;
                FUZZ_CHECK(sd_bus_message_read(reply, "o", &o) > 0);
                path = strdup(o);
                FUZZ_CHECK(path);
        }
        sd_bus_message_unref(reply);

        if (path && converse(path, flow, answers + first, n - first)) {
                /* It ended with its last reply: nothing of it is left to call. */
                reply = step(path, NULL);
                FUZZ_CHECK(is_error(reply, gone_errors));
                sd_bus_message_unref(reply);
        } else if (path)
                check_ok(call(new_call(path, PG_IFACE_CONVERSATION, "Cancel")));
        check_ok(call(new_call(PG_OBJECT_PATH, PG_IFACE_MANAGER, "GetPasswordPolicy")));
        return 0;
}
