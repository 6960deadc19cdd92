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
#define MSG_ASK_PASSWORD     N_("Password (leave empty if you do not know it): ")
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

/* Daemon: recovery ("I don't know the password"). */
#define MSG_ASK_CONTACT       N_("Phone or e-mail of your account: ")
#define MSG_CONTACT_MALFORMED N_("Enter a phone number (+7 912 345-67-89) or an e-mail address.")
#define MSG_ASK_DOCUMENT_TYPE N_("Choose an identity document: ")
#define MSG_DOCUMENT_TYPE_BAD N_("Choose one of the listed documents.")
#define MSG_DOC_PASSPORT      N_("Passport")
#define MSG_DOC_SNILS         N_("SNILS")
#define MSG_DOC_INN           N_("INN")
#define MSG_ASK_PASSPORT      N_("Passport series and number (4 + 6 digits): ")
#define MSG_ASK_SNILS         N_("SNILS (11 digits): ")
#define MSG_ASK_INN           N_("INN (10 or 12 digits): ")
#define MSG_PASSPORT_BAD      N_("A passport number is a 4-digit series and a 6-digit number.")
#define MSG_SNILS_BAD         N_("This is not a valid SNILS: check the digits.")
#define MSG_INN_BAD           N_("This is not a valid INN: check the digits.")
/* TRANSLATORS: %s is a masked phone or e-mail address, e.g. "+7 *** ***-**-67". */
#define MSG_ASK_CODE     N_("A code was sent to %s. Enter it (or type \"resend\" for a new one): ")
#define MSG_CODE_WRONG   N_("The code is wrong or has expired.")
#define MSG_CODE_EXPIRED N_("The code has expired: type \"resend\" for a new one.")
/* TRANSLATORS: %u is a number of seconds, any number: word it without plurals. */
#define MSG_CODE_WAIT     N_("A new code can be sent in %u s.")
#define MSG_CODE_RESENT   N_("A new code was sent.")
#define MSG_CODE_BURNED   N_("Too many wrong codes. Start again later.")
#define MSG_NOT_SENT      N_("The code could not be sent. Try again later.")
#define MSG_TRY_LATER     N_("Too many attempts. Try again later.")
#define MSG_RECOVERED     N_("Your password has been changed. Log in with the new password.")
#define MSG_RECOVERY_WORD N_("resend")

/* Daemon: support desk. */
/* TRANSLATORS: a line under a recovery that cannot go on; %s is a list of the texts below, those
 * an admin configured, joined by ", ". */
#define MSG_SUPPORT_LINE N_("Support: %s")
/* TRANSLATORS: %s is a phone number. */
#define MSG_SUPPORT_HOTLINE N_("hotline %s")
/* TRANSLATORS: %s is a phone number for callers from other countries. */
#define MSG_SUPPORT_ABROAD N_("from abroad %s")
/* TRANSLATORS: %s is where the online chat is, usually a web address. */
#define MSG_SUPPORT_CHAT N_("chat %s")

/* Daemon: messages sent by SMS or e-mail. No secret but the code or password they carry. */
#define MSG_MAIL_CODE_SUBJECT N_("Your passgate code")
/* TRANSLATORS: %s is the 6-digit code, %u its lifetime in minutes (any number). */
#define MSG_MAIL_CODE                                                                              \
        N_("passgate code: %s. Valid for %u min. Never tell it to anyone, support included.")
#define MSG_MAIL_NOTICE_SUBJECT N_("Your passgate password was changed")
/* TRANSLATORS: %s is the account's user name. */
#define MSG_MAIL_NOTICE_CHANGE   N_("The password of account %s was changed.")
#define MSG_MAIL_NOTICE_RECOVERY N_("The password of account %s was reset with a one-time code.")
#define MSG_MAIL_NOTICE_RESET    N_("An administrator set a new password for account %s.")
#define MSG_MAIL_NOTICE_TEMPORARY                                                                  \
        N_("A temporary password for account %s was sent to one of your contacts.")
#define MSG_MAIL_NOTICE_CENTER     N_("The password of account %s was reset at a service center.")
#define MSG_MAIL_NOTICE_FOOTER     N_("If it was not you, contact support at once.")
#define MSG_MAIL_TEMPORARY_SUBJECT N_("Your temporary passgate password")
/* TRANSLATORS: %s is the password, %u its lifetime in hours (any number). */
#define MSG_MAIL_TEMPORARY                                                                         \
        N_("Temporary passgate password: %s\nIt works for %u h and must be changed at the next "   \
           "login.")

/* Daemon: service centers. Messages about an appointment carry no secret but its coupon. */
#define MSG_MAIL_BOOKING_SUBJECT N_("Your appointment at a service center")
/* TRANSLATORS: %s are the center's name, its address, the date and time ("2025-03-14 10:30")
 * and the coupon ("K7QX-M2PD-9R"). */
#define MSG_MAIL_BOOKING                                                                           \
        N_("Appointment at %s, %s, on %s. Your coupon: %s. Show it at the center; it also "        \
           "cancels the appointment.")
#define MSG_MAIL_BOOKING_GONE_SUBJECT N_("Your appointment at a service center is cancelled")
/* TRANSLATORS: %s are the center's name and the date and time of the appointment. */
#define MSG_MAIL_BOOKING_GONE                                                                      \
        N_("Your appointment at %s on %s is cancelled: the service center no longer takes "        \
           "appointments. Please book at another center.")

/* Daemon: reasons a new password is refused. */
/* TRANSLATORS: %u here and in the next text is any limit an admin sets: word it without plurals. */
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
/* TRANSLATORS: the two %u are the minimum and maximum length, any numbers: no plural form. */
#define MSG_POLICY_DESCRIPTION                                                                     \
        N_("Use %u to %u characters. A long phrase of unrelated words is easy to remember and "    \
           "hard to guess. Common passwords and your own details are refused.")

/* Daemon: reset requests. A notice to every registered contact when a clerk files one. */
#define MSG_MAIL_REQUEST_SUBJECT N_("A reset of your passgate password was requested")
/* TRANSLATORS: %s are the user name, the service center's name and the request id, in this order;
 * keep "passgatectl request cancel" as it is. */
#define MSG_MAIL_REQUEST_FILED                                                                     \
        N_("A reset of the password of account %s was requested at the service center %s. A "      \
           "temporary password will be sent within 24 hours. If it was not you, stop it now: log " \
           "in with your current password, or run: passgatectl request cancel %s")

/* PAM module. */
/* TRANSLATORS: one line of a list to choose from: %u is the number to type, %s the choice. */
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
/* TRANSLATORS: %s is a user name. Name no contact: the caller is not told which one. */
#define MSG_CTL_TEMPORARY_SENT                                                                     \
        N_("A temporary password for %s was sent to the account's registered contact.")
/* passgatectl centers, slots, book, cancel, center. Column names are short: a table's header. */
#define MSG_CTL_COL_ID      N_("ID")
#define MSG_CTL_COL_NAME    N_("NAME")
#define MSG_CTL_COL_ADDRESS N_("ADDRESS")
#define MSG_CTL_COL_HOURS   N_("HOURS")
#define MSG_CTL_COL_PHONE   N_("PHONE")
#define MSG_CTL_COL_SLOT    N_("SLOT")
#define MSG_CTL_COL_FREE    N_("FREE")
/* TRANSLATORS: keep "YYYY-MM-DD HH:MM" and @USEC as they are. */
#define MSG_CTL_BAD_TIME N_("invalid time '%s': use \"YYYY-MM-DD HH:MM\" (local time) or @USEC")
/* TRANSLATORS: %u is a line number; keep "YYYY-MM-DD HH:MM PLACES" as it is. */
#define MSG_CTL_BAD_SCHEDULE_LINE N_("stdin line %u: use \"YYYY-MM-DD HH:MM PLACES\"")
#define MSG_CTL_SCHEDULE_USAGE    N_("center schedule takes SLOT PLACES pairs")
#define MSG_CTL_BOOK_USAGE        N_("book needs --full-name and --contact")
#define MSG_CTL_CENTER_ADD_USAGE  N_("center add needs --name, --address, --hours and --phone")
/* TRANSLATORS: %s is the coupon ("K7QX-M2PD-9R"); keep "passgatectl cancel COUPON" as it is. */
#define MSG_CTL_BOOKED                                                                             \
        N_("Your coupon: %s\nShow it at the center. It is also sent to the contact given. To "     \
           "cancel the appointment: passgatectl cancel COUPON")
/* passgatectl support. */
#define MSG_CTL_SUPPORT_HOTLINE N_("Hotline")
#define MSG_CTL_SUPPORT_ABROAD  N_("From abroad")
#define MSG_CTL_SUPPORT_CHAT    N_("Chat")
#define MSG_CTL_SUPPORT_NONE    N_("No support contacts are configured.")
#define MSG_CTL_VERIFY_USAGE                                                                       \
        N_("support verify needs --full-name and exactly one of --passport, --snils, --inn")
/* TRANSLATORS: the whole output of "support verify": the name and the document both match. */
#define MSG_CTL_MATCH N_("match")
/* TRANSLATORS: the whole output of "support verify" otherwise, also for an unknown account. */
#define MSG_CTL_NO_MATCH N_("no match")
/* TRANSLATORS: %s is what the agent typed. Tell nothing more: not whether the account exists. */
#define MSG_CTL_SUPPORT_CODE_SENT                                                                  \
        N_("If %s names an account with a phone or e-mail address, a recovery code was sent "      \
           "to it.")
/* passgatectl request: reset requests filed at a service center. */
#define MSG_CTL_COL_REQUEST       N_("REQUEST")
#define MSG_CTL_COL_CENTER        N_("CENTER")
#define MSG_CTL_COL_FILED         N_("FILED")
#define MSG_CTL_COL_APPLY         N_("APPLY")
#define MSG_CTL_COL_STATE         N_("STATE")
#define MSG_CTL_COL_CONTACT       N_("CONTACT")
#define MSG_CTL_REQUEST_DOCUMENTS N_("request file needs --passport and --snils")
/* TRANSLATORS: %s are the request id and the date and time of its deadline; keep "passgatectl
 * request cancel" as it is. */
#define MSG_CTL_REQUEST_FILED                                                                      \
        N_("Request %s filed. A temporary password goes out after the hold, by %s at the "         \
           "latest; passgatectl request cancel with the id stops it.")
/* TRANSLATORS: keep commands, options, USER, TEXT... and exit numbers as they are; 80 columns. */
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
           "  user temporary USER       Send a temporary password to the account's contact\n"      \
           "  user lock USER            Lock an account\n"                                         \
           "  user unlock USER          Unlock an account\n"                                       \
           "  user delete USER          Delete an account\n"                                       \
           "  recover [LOGIN]           Set a new password when you do not know yours: a\n"        \
           "                            code goes to your phone or e-mail\n"                       \
           "  support                   Show the contacts of the support desk\n"                   \
           "  support verify LOGIN      Support agents: check a caller's full name and one\n"      \
           "                            document against the account: match or no match\n"         \
           "  support send-code LOGIN   Support agents: have a recovery code sent to the\n"        \
           "                            account's registered phone, else e-mail\n"                 \
           "  centers                   List the service centers: addresses, opening hours\n"      \
           "  slots CENTER              Free places of a center's slots (next 14 days)\n"          \
           "  book CENTER SLOT          Book an appointment; prints its coupon, which is\n"        \
           "                            also sent to --contact\n"                                  \
           "  cancel COUPON             Cancel an appointment\n"                                   \
           "  center add ID             Admins: add a service center\n"                            \
           "  center remove ID          Admins: remove a center, its slots and bookings;\n"        \
           "                            holders of future bookings are told\n"                     \
           "  center schedule ID [SLOT PLACES]...\n"                                               \
           "                            Admins: add or change slots (PLACES 0 removes one);\n"     \
           "                            without pairs, lines \"SLOT PLACES\" from stdin\n"         \
           "  request file CENTER LOGIN Clerks: file a password reset for a person whose\n"        \
           "                            passport and SNILS were checked at the desk\n"             \
           "  request list              Clerks and admins: the pending reset requests\n"           \
           "  request cancel ID         Stop a reset request: its account's owner, a clerk\n"      \
           "                            or an admin\n"                                             \
           "  audit                     Show the audit log, oldest entry first\n"                  \
           "  policy                    Show the rules a new password must pass\n"                 \
           "  generate                  Print a strong password that passes them\n"                \
           "  doctor                    Check passgated, the files it needs and the PAM stacks\n"  \
           "                            that use pam_passgate.so; say how to fix what is wrong\n"  \
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
           "support verify:\n"                                                                     \
           "     --full-name=TEXT       The caller's full name\n"                                  \
           "     --passport=NUMBER, --snils=NUMBER or --inn=NUMBER\n"                              \
           "                            One identity document of the caller\n"                     \
           "\n"                                                                                    \
           "recover:\n"                                                                            \
           "     --generate             Have passgated generate the new password; it is\n"         \
           "                            printed once\n"                                            \
           "\n"                                                                                    \
           "user lock:\n"                                                                          \
           "     --reason=TEXT          Why the account is locked\n"                               \
           "\n"                                                                                    \
           "slots:\n"                                                                              \
           "     --from=TIME            From this time (default: now)\n"                           \
           "     --to=TIME              Up to this time (default: 14 days after --from)\n"         \
           "\n"                                                                                    \
           "book:\n"                                                                               \
           "     --full-name=TEXT       Who comes to the appointment\n"                            \
           "     --contact=CONTACT      The phone or e-mail address the coupon goes to\n"          \
           "\n"                                                                                    \
           "center add:\n"                                                                         \
           "     --name=TEXT            The center's name\n"                                       \
           "     --address=TEXT         Its address\n"                                             \
           "     --hours=TEXT           Its opening hours\n"                                       \
           "     --phone=NUMBER         Its phone number\n"                                        \
           "\n"                                                                                    \
           "SLOT and TIME are local time, \"YYYY-MM-DD HH:MM\" (quoted or not), or @USEC\n"        \
           "(µs since the epoch); a TIME may be a date alone: its start, for --to its end.\n"     \
           "\n"                                                                                    \
           "request file:\n"                                                                       \
           "     --passport=NUMBER      The person's passport (required)\n"                        \
           "     --snils=NUMBER         The person's SNILS (required)\n"                           \
           "     --contact=CONTACT      A phone or e-mail address given at the desk: the\n"        \
           "                            temporary password goes there, and it replaces the\n"      \
           "                            registered one of its kind\n"                              \
           "\n"                                                                                    \
           "doctor:\n"                                                                             \
           "     --root=DIR             Check the files under DIR instead of /\n"                  \
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
           "  1  other failure (a code or password could not be sent); doctor: it found\n"         \
           "     a problem\n"                                                                      \
           "  2  usage error\n"                                                                    \
           "  3  access denied\n"                                                                  \
           "  4  no such account, unix user, service center, slot, coupon or request\n"            \
           "  5  passgated cannot be reached (not running, no bus, timeout)\n"                     \
           "  6  passgated refused an input or a request (invalid value, password\n"               \
           "     rejected, identifier in use, account exists, too many requests, no\n"             \
           "     contact to send to, center exists, slot full, too many bookings)\n"               \
           "  7  authentication failed (recover: too many wrong codes or answers);\n"              \
           "     support verify: no match; request file: the documents do not match\n")

/*
 * passgatectl doctor. A finding is one line: what was checked and what is wrong, then on the next
 * line how to fix it. Commands in fixes (chmod, systemctl...) stay untranslated, in the code.
 */
/* TRANSLATORS: the status column of a finding, at most 8 characters. */
#define MSG_DOC_OK      N_("ok")
#define MSG_DOC_NOTE    N_("note")
#define MSG_DOC_PROBLEM N_("PROBLEM")
/* TRANSLATORS: starts the line that says how to fix the finding above it. */
#define MSG_DOC_FIX         N_("fix:")
#define MSG_DOC_NO_PROBLEMS N_("No problems found.")
/* TRANSLATORS: %u is any number: word it without plurals. */
#define MSG_DOC_PROBLEMS        N_("Problems found: %u.\n")
#define MSG_DOC_BAD_ROOT        N_("--root %s: not a directory")
#define MSG_DOC_CANNOT_READ     N_("cannot read %s: %s")
#define MSG_DOC_NOT_DIR         N_("%s is not a directory")
#define MSG_DOC_FIX_RUN_AS_ROOT N_("run passgatectl doctor as root to check this too")
#define MSG_DOC_FIX_JOURNAL     N_("see why in: journalctl -u passgated.service")
#define MSG_DOC_FIX_INSTALL     N_("install passgate (README.md, \"Installing on a real host\")")

/* passgatectl doctor: the daemon. */
#define MSG_DOC_NO_BUS      N_("cannot connect to the system bus: %s")
#define MSG_DOC_FIX_NO_BUS  N_("start the system bus: systemctl start dbus.service")
#define MSG_DOC_DAEMON_DOWN N_("passgated does not answer on the system bus: %s")
#define MSG_DOC_FIX_DAEMON                                                                         \
        N_("systemctl start passgated.service, then see why it stopped in: journalctl -u "         \
           "passgated.service")
#define MSG_DOC_DAEMON_OK                                                                          \
        N_("passgated answers: it opened the store and migrated its schema before taking its "     \
           "bus name")
/* TRANSLATORS: the two %u are the minimum and maximum length of a password: no plurals. */
#define MSG_DOC_POLICY_OK     N_("password policy: %u to %u characters")
#define MSG_DOC_POLICY_FAILED N_("passgated does not give its password policy: %s")
/* TRANSLATORS: %zu is any number of accounts: word it without plurals. */
#define MSG_DOC_STORE_OK     N_("the store answers: accounts: %zu")
#define MSG_DOC_STORE_FAILED N_("the store does not answer: %s")
#define MSG_DOC_STORE_NOT_ASKED                                                                    \
        N_("the store was not read: listing accounts needs root or the right to manage them")
#define MSG_DOC_NO_BUS_POLICY                                                                      \
        N_("the D-Bus policy %s is missing: passgated cannot take its name on the system bus")

/* passgatectl doctor: files. */
#define MSG_DOC_NO_USER       N_("%s has no passgate user, which passgated.service runs as")
#define MSG_DOC_CONF_OK       N_("configuration %s")
#define MSG_DOC_CONF_MISSING  N_("%s does not exist: passgated runs with the defaults")
#define MSG_DOC_CONF_SYNTAX   N_("%s:%d: passgated cannot read this line and will not start")
#define MSG_DOC_FIX_CONF      N_("correct it as passgate.conf(5) describes")
#define MSG_DOC_STATE_OK      N_("state directory %s: only passgate may enter it")
#define MSG_DOC_STATE_MISSING N_("state directory %s: %s")
#define MSG_DOC_FIX_STATE_MISSING                                                                  \
        N_("systemctl start passgated.service creates it (StateDirectory=passgate)")
#define MSG_DOC_STATE_OPEN                                                                         \
        N_("state directory %s is open to group or others (mode %04o): passgated will not start")
#define MSG_DOC_STATE_OWNER     N_("state directory %s belongs to uid %u, not to passgate")
#define MSG_DOC_STATE_FILE_OPEN N_("%s, in the store, is open to group or others (mode %04o)")
#define MSG_DOC_PEPPER_OK       N_("pepper %s: 32 bytes, only its owner may read it")
#define MSG_DOC_PEPPER_MISSING  N_("the pepper %s: %s: passgated.service cannot start without it")
#define MSG_DOC_PEPPER_NOT_FILE N_("the pepper %s is not a regular file")
#define MSG_DOC_PEPPER_OPEN                                                                        \
        N_("the pepper %s is open to group or others (mode %04o): passgated will not start")
#define MSG_DOC_PEPPER_OWNER N_("the pepper %s belongs to uid %u: only root or passgate may own it")
#define MSG_DOC_PEPPER_SIZE  N_("the pepper %s has %lld bytes, not %d: passgated will not start")
#define MSG_DOC_FIX_PEPPER_RESTORE                                                                 \
        N_("restore %s from its backup: a new pepper cannot read the accounts in the store")

/* passgatectl doctor: delivery. The first %s names the key: "[delivery] sms" or "email". */
#define MSG_DOC_SPOOL_OK           N_("%s: spool %s, where passgate may write")
#define MSG_DOC_SPOOL_MISSING      N_("%s: the spool directory %s does not exist")
#define MSG_DOC_SPOOL_NOT_WRITABLE N_("%s: passgate cannot write to %s (owner uid %u, mode %04o)")
#define MSG_DOC_SPOOL_OPEN         N_("%s: others can read the codes in %s (mode %04o)")
#define MSG_DOC_SPOOL_SANDBOX      N_("%s: passgated.service may write to %s only after a drop-in")
#define MSG_DOC_FIX_SPOOL_SANDBOX                                                                  \
        N_("systemctl edit passgated.service, and add under [Service]: ReadWritePaths=%s")
#define MSG_DOC_PROGRAM_OK      N_("%s: %s can be run")
#define MSG_DOC_PROGRAM_MISSING N_("%s: %s is not a program that can be run")
#define MSG_DOC_FIX_PROGRAM     N_("install the program, or correct the path in passgate.conf")
#define MSG_DOC_PROGRAM_WRITABLE                                                                   \
        N_("%s: group or others may change %s (mode %04o), which passgated runs")
#define MSG_DOC_PROGRAM_SETID                                                                      \
        N_("%s: %s is set-user-ID or set-group-ID, which passgated.service (NoNewPrivileges=yes) " \
           "ignores")
#define MSG_DOC_FIX_PROGRAM_SETID                                                                  \
        N_("use a program that needs no privileges (command:/PATH), or see passgate.conf(5), "     \
           "DELIVERY")
#define MSG_DOC_DELIVERY_BAD                                                                       \
        N_("%s: '%s' is not spool:/DIR, sendmail, sendmail:/PATH or command:/PATH")

/* passgatectl doctor: PAM stacks. */
#define MSG_DOC_PAM_USES   N_("%s uses pam_passgate.so for %s")
#define MSG_DOC_PAM_UNUSED N_("no PAM service in %s uses pam_passgate.so")
#define MSG_DOC_FIX_PAM_UNUSED                                                                     \
        N_("add it to common-auth, common-account and common-password as pam_passgate(8) shows")
/* TRANSLATORS: "common-auth:2, used by login, sshd: <one of the texts below>". */
#define MSG_DOC_PAM_WHERE N_("%s, used by %s: %s")
#define MSG_DOC_FIX_PAM_CONTROLS                                                                   \
        N_("give pam_passgate.so the controls %s, N jumping past pam_unix (pam_passgate(8), "      \
           "EXAMPLES)")
#define MSG_DOC_PAM_NO_MODULE   N_("%s is not installed: every use of this line fails")
#define MSG_DOC_PAM_SESSION     N_("pam_passgate.so has no session stage: this line fails")
#define MSG_DOC_FIX_PAM_SESSION N_("remove the line")
#define MSG_DOC_PAM_OPTION      N_("pam_passgate.so ignores the option '%s'")
#define MSG_DOC_FIX_PAM_OPTION  N_("use only the options pam_passgate(8) lists")
#define MSG_DOC_PAM_NO_FALLBACK                                                                    \
        N_("no pam_unix after pam_passgate.so: only passgate users get through, and nobody while " \
           "passgated is down")
#define MSG_DOC_PAM_AUTH_PASSGATE                                                                  \
        N_("auth: passgate users cannot log in, the stack fails after pam_passgate.so succeeded")
#define MSG_DOC_PAM_AUTH_WRONG N_("auth: a wrong password is let in")
#define MSG_DOC_PAM_AUTH_UNKNOWN                                                                   \
        N_("auth: users passgate does not know cannot log in with their unix password")
#define MSG_DOC_PAM_AUTH_DOWN                                                                      \
        N_("auth: while passgated is down, nobody can log in with a unix password")
#define MSG_DOC_PAM_ACCOUNT_PASSGATE N_("account: passgate users are refused")
#define MSG_DOC_PAM_ACCOUNT_CHANGE                                                                 \
        N_("account: a password change passgate requires is not passed on, so it is skipped")
#define MSG_DOC_PAM_ACCOUNT_LOCKED    N_("account: a locked passgate account is let in")
#define MSG_DOC_PAM_ACCOUNT_UNKNOWN   N_("account: users passgate does not know are refused")
#define MSG_DOC_PAM_ACCOUNT_DOWN      N_("account: while passgated is down, everybody is refused")
#define MSG_DOC_PAM_PASSWORD_PASSGATE N_("password: passgate users cannot change their password")
#define MSG_DOC_PAM_PASSWORD_UNIX_TOO                                                              \
        N_("password: pam_unix also sets a unix password for passgate users, which gets past "     \
           "passgate")
#define MSG_DOC_PAM_PASSWORD_REFUSED N_("password: a password passgate refuses is set all the same")
#define MSG_DOC_PAM_PASSWORD_UNKNOWN                                                               \
        N_("password: users passgate does not know cannot change their unix password")
#define MSG_DOC_PAM_PASSWORD_DOWN                                                                  \
        N_("password: while passgated is down, nobody can change a unix password")
#define MSG_DOC_UNIX_PASSWORD                                                                      \
        N_("%s has a passgate account and a usable unix password: pam_unix lets it in, past "      \
           "passgate's lockout")
