/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Every user-visible text of passgate, in one place. Texts are marked with N_() so xgettext finds
 * them; _() translates at the point of display (domain "passgate").
 */
#include <libintl.h>

#define N_(s) s
#define _(s)  dgettext("passgate", s)

/* Daemon: conversation prompts. */
#define MSG_ASK_IDENTIFIER   N_("Login (user name, phone, e-mail or SNILS): ")
#define MSG_ASK_PASSWORD     N_("Password: ")
#define MSG_ASK_OLD_PASSWORD N_("Current password: ")
#define MSG_ASK_NEW_PASSWORD N_("New password (leave empty to generate one): ")
#define MSG_ASK_REPEAT       N_("Repeat the new password: ")
#define MSG_GENERATED        N_("Your new password is: %s\nWrite it down now: it will not be shown again.")
#define MSG_LOGIN_FAILED     N_("Wrong login or password.")
#define MSG_CHANGE_DONE      N_("Your password has been changed.")
#define MSG_LOGGED_IN        N_("Welcome.")
#define MSG_CHANGE_REQUIRED  N_("You must change your password now.")
#define MSG_MISMATCH         N_("The passwords do not match. Try again.")
#define MSG_TOO_MANY_TRIES   N_("Too many unsuccessful attempts. Start again.")
#define MSG_CANCELLED        N_("The conversation was cancelled.")
#define MSG_EXPIRED          N_("The conversation has expired. Start again.")
#define MSG_INTERNAL         N_("The service cannot complete this request now. Try again later.")

/* Daemon: reasons a new password is refused. */
#define MSG_PW_TOO_SHORT N_("The password is too short: use at least %u characters.")
#define MSG_PW_TOO_LONG  N_("The password is too long: use at most %u characters.")
#define MSG_PW_NOT_UTF8  N_("The password contains invalid characters.")
#define MSG_PW_CONTEXT                                                                             \
        N_("The password is based on your own details (name, phone, e-mail, documents or user "    \
           "name).")
#define MSG_PW_COMMON  N_("The password is a common password or too close to one.")
#define MSG_PW_BLOCKED N_("The password is on the list of known leaked passwords.")
#define MSG_PW_PREDICTABLE                                                                         \
        N_("The password is too predictable: avoid repeats, sequences and keyboard patterns.")
#define MSG_PW_REUSED N_("The password was used recently: choose one you have not used before.")
#define MSG_PW_SAME   N_("The new password is the same as the current one.")
#define MSG_POLICY_DESCRIPTION                                                                     \
        N_("Use %u to %u characters. A long phrase of unrelated words is easy to remember and "    \
           "hard to guess. Common passwords and your own details are refused.")

/* PAM module. */
#define MSG_PAM_CHOICE_ITEM        N_("%u) %s")
#define MSG_PAM_GENERATED_PASSWORD N_("Your new password is: %s")
#define MSG_PAM_ACCOUNT_LOCKED     N_("Your account is locked. Contact the administrator or support.")

/* passgatectl. */
#define MSG_CTL_TRY_HELP            N_("Try 'passgatectl --help'.")
#define MSG_CTL_NO_VERB             N_("no command given")
#define MSG_CTL_UNKNOWN_VERB        N_("unknown command '%s'")
#define MSG_CTL_TOO_FEW_ARGS        N_("too few arguments for '%s'")
#define MSG_CTL_TOO_MANY_ARGS       N_("too many arguments for '%s'")
#define MSG_CTL_OPTION_NOT_FOR_VERB N_("option %s does not apply to '%s'")
#define MSG_CTL_UNKNOWN_OPTION      N_("unknown option '%s'")
#define MSG_CTL_OPTION_NEEDS_ARG    N_("option %s needs a value")
#define MSG_CTL_BAD_NUMBER          N_("invalid value for %s: '%s'")
#define MSG_CTL_SINCE_TWICE         N_("--since and --since-usec exclude each other")
#define MSG_CTL_BAD_USER_NAME       N_("'%s' is not a valid user name")
#define MSG_CTL_NO_CALLING_USER     N_("the calling user (uid %u) has no name")
#define MSG_CTL_NOTHING_TO_UPDATE                                                                  \
        N_("nothing to update: give at least one of --full-name, --phone, --email, --passport, "   \
           "--snils, --inn")
#define MSG_CTL_STDIN_OR_GENERATE N_("--password-stdin and --generate exclude each other")
#define MSG_CTL_MUST_CHANGE_USAGE                                                                  \
        N_("--must-change needs --password-stdin, or root resetting another user's password")
#define MSG_CTL_NO_BUS           N_("cannot connect to the system bus: %s")
#define MSG_CTL_UNREACHABLE      N_("cannot reach the passgate service: %s")
#define MSG_CTL_NOT_RUNNING      N_("passgated is not running")
#define MSG_CTL_BUILD_CALL       N_("cannot build the request: %s")
#define MSG_CTL_BAD_REPLY        N_("cannot read the reply of passgated: %s")
#define MSG_CTL_UNKNOWN_STEP     N_("passgated asked a question of an unknown kind '%s'")
#define MSG_CTL_TERMINAL         N_("cannot read the answer: %s")
#define MSG_CTL_LINE_TOO_LONG    N_("the answer is too long: at most %d bytes")
#define MSG_CTL_NO_ANSWER        N_("no answer: the input ended")
#define MSG_CTL_ASK_NEW_PASSWORD N_("New password: ")
#define MSG_CTL_WRITE_FAILED     N_("cannot write the output: %s")
#define MSG_CTL_YES              N_("yes")
#define MSG_CTL_NO               N_("no")
#define MSG_CTL_NEVER            N_("never")
#define MSG_CTL_COL_TIME         N_("TIME")
#define MSG_CTL_COL_USER         N_("USER")
#define MSG_CTL_COL_EVENT        N_("EVENT")
#define MSG_CTL_COL_DETAIL       N_("DETAIL")
#define MSG_CTL_HELP                                                                               \
        N_("passgatectl [OPTIONS...] COMMAND ...\n"                                                \
           "\n"                                                                                    \
           "Manage passgate accounts through the passgated service on the system bus.\n"           \
           "\n"                                                                                    \
           "Commands:\n"                                                                           \
           "  status [USER]             Password state of an account (default: your own)\n"        \
           "  user add USER [PROPS...]  Create the account of an existing unix user\n"             \
           "  user update USER PROPS... Change only the properties given\n"                        \
           "  user show USER            Show an account (contacts and documents masked)\n"         \
           "  user list                 List the accounts\n"                                       \
           "  user passwd [USER]        Change a password in a dialogue with passgated,\n"         \
           "                            or set it with --password-stdin (admin)\n"                 \
           "  user expire USER          Require a new password at the next login\n"                \
           "  user lock USER            Lock an account\n"                                         \
           "  user unlock USER          Unlock an account\n"                                       \
           "  user delete USER          Delete an account\n"                                       \
           "  audit                     Show the audit log, oldest entry first\n"                  \
           "  policy                    Show the rules a new password must pass\n"                 \
           "  generate                  Print a strong password that passes them\n"                \
           "\n"                                                                                    \
           "Options:\n"                                                                            \
           "  -h --help                 Show this help\n"                                          \
           "     --version              Show the version\n"                                        \
           "     --json                 Print one JSON document on stdout; commands that only\n"   \
           "                            act print nothing\n"                                       \
           "\n"                                                                                    \
           "Account properties (user add, user update):\n"                                         \
           "     --full-name=TEXT       Full name\n"                                               \
           "     --phone=NUMBER         Phone number\n"                                            \
           "     --email=ADDRESS        E-mail address\n"                                          \
           "     --passport=NUMBER      Passport series and number\n"                              \
           "     --snils=NUMBER         SNILS\n"                                                   \
           "     --inn=NUMBER           INN\n"                                                     \
           "\n"                                                                                    \
           "user passwd:\n"                                                                        \
           "     --password-stdin       Read the new password from one line of stdin\n"            \
           "     --must-change          Make the user choose a new one at the next login\n"        \
           "                            (with --password-stdin, or root resetting another\n"       \
           "                            user's password)\n"                                        \
           "     --generate             Have passgated generate the new password; it is\n"         \
           "                            printed once\n"                                            \
           "\n"                                                                                    \
           "user lock:\n"                                                                          \
           "     --reason=TEXT          Why the account is locked\n"                               \
           "\n"                                                                                    \
           "audit:\n"                                                                              \
           "     --since=SECONDS        Only entries of the last SECONDS seconds\n"                \
           "     --since-usec=USEC      Only entries from this time on (µs since the epoch)\n"    \
           "     --max=N                At most N entries (default: chosen by passgated)\n"        \
           "\n"                                                                                    \
           "Without a terminal on stdin, answers are read from stdin one line each.\n"             \
           "DBUS_SYSTEM_BUS_ADDRESS selects another system bus. Calls time out after 25 s.\n"      \
           "\n"                                                                                    \
           "Exit status:\n"                                                                        \
           "  0  success\n"                                                                        \
           "  1  other failure\n"                                                                  \
           "  2  usage error\n"                                                                    \
           "  3  access denied\n"                                                                  \
           "  4  no such account or unix user\n"                                                   \
           "  5  passgated cannot be reached (not running, no bus, timeout)\n"                     \
           "  6  passgated refused an input (invalid value, password rejected,\n"                  \
           "     identifier in use, account exists)\n"                                             \
           "  7  authentication failed\n")
