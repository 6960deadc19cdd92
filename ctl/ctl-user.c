/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <pwd.h>
#include <stdio.h>

#include "bus-names.h"
#include "ctl-bus.h"
#include "ctl-error.h"
#include "ctl-output.h"
#include "ctl-props.h"
#include "ctl-user.h"
#include "document.h"
#include "identifier.h"
#include "macro.h"
#include "messages.h"

int ctl_user_name_check(const char *name)
{
        if (!unix_name_valid(name))
                return ctl_error(-EINVAL, _(MSG_CTL_BAD_USER_NAME), name);
        return 0;
}

int ctl_calling_user(char **ret)
{
        struct passwd *pw;

        pw = getpwuid(geteuid());
        if (!pw)
                return ctl_error(-ESRCH, _(MSG_CTL_NO_CALLING_USER), (unsigned)geteuid());
        *ret = strdup(pw->pw_name);
        return *ret ? 0 : -ENOMEM;
}

static int append_text_prop(sd_bus_message *m, const char *key, const char *value)
{
        if (!value)
                return 0;
        return sd_bus_message_append(m, "{sv}", key, "s", value);
}

static int append_documents(sd_bus_message *m, const CtlArgs *a)
{
        const char *numbers[_DOC_MAX] = {
                [DOC_PASSPORT] = a->passport,
                [DOC_SNILS] = a->snils,
                [DOC_INN] = a->inn,
        };
        int r;

        if (!a->passport && !a->snils && !a->inn)
                return 0;

        r = sd_bus_message_open_container(m, SD_BUS_TYPE_DICT_ENTRY, "sv");
        if (r < 0)
                return r;
        r = sd_bus_message_append(m, "s", "Documents");
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(m, SD_BUS_TYPE_VARIANT, "a{ss}");
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(m, SD_BUS_TYPE_ARRAY, "{ss}");
        if (r < 0)
                return r;
        for (DocType t = 0; t < _DOC_MAX; t++)
                if (numbers[t]) {
                        r = sd_bus_message_append(m, "{ss}", doc_type_to_string(t), numbers[t]);
                        if (r < 0)
                                return r;
                }
        r = sd_bus_message_close_container(m);
        if (r < 0)
                return r;
        r = sd_bus_message_close_container(m);
        if (r < 0)
                return r;
        return sd_bus_message_close_container(m);
}

static int append_account_props(sd_bus_message *m, const CtlArgs *a)
{
        int r;

        r = sd_bus_message_open_container(m, SD_BUS_TYPE_ARRAY, "{sv}");
        if (r < 0)
                return r;
        r = append_text_prop(m, "FullName", a->full_name);
        if (r < 0)
                return r;
        r = append_text_prop(m, "Phone", a->phone);
        if (r < 0)
                return r;
        r = append_text_prop(m, "Email", a->email);
        if (r < 0)
                return r;
        r = append_documents(m, a);
        if (r < 0)
                return r;
        return sd_bus_message_close_container(m);
}

/* CreateAccount and UpdateAccount: the same props, only the keys given on the command line. */
static int call_with_props(const char *member, const char *user, const CtlArgs *a)
{
        _cleanup_(sd_bus_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        r = ctl_user_name_check(user);
        if (r < 0)
                return r;
        r = ctl_bus_open(&bus);
        if (r < 0)
                return r;
        r = ctl_bus_new_call(bus, PG_IFACE_ACCOUNTS, member, &m);
        if (r < 0)
                return r;
        /* Document numbers travel in it: sd-bus wipes the message when it is freed. */
        r = sd_bus_message_sensitive(m);
        if (r < 0)
                return ctl_error(r, _(MSG_CTL_BUILD_CALL), strerror(-r));
        r = sd_bus_message_append(m, "s", user);
        if (r >= 0)
                r = append_account_props(m, a);
        if (r < 0)
                /* sd-bus refuses text that is not UTF-8: a bad argument. */
                return ctl_error(-EINVAL, _(MSG_CTL_BUILD_CALL), strerror(-r));
        return ctl_bus_call(bus, m, NULL);
}

int verb_user_add(int argc, char **argv, const CtlArgs *args)
{
        return call_with_props("CreateAccount", argv[1], args);
}

int verb_user_update(int argc, char **argv, const CtlArgs *args)
{
        if (!(args->given & OPT_ACCOUNT_PROPS))
                return ctl_error(-EINVAL, "%s", _(MSG_CTL_NOTHING_TO_UPDATE));
        return call_with_props("UpdateAccount", argv[1], args);
}

int verb_user_show(int argc, char **argv, const CtlArgs *args)
{
        static const char *const order[] = {
                "User",
                "Uid",
                "FullName",
                "Phone",
                "Email",
                "Documents",
                "PasswordSet",
                "PasswordChangeRequired",
                "Locked",
                "LockReason",
                "Disabled",
                "Failures",
                "PasswordChangedUSec",
                "CreatedUSec",
                NULL,
        };
        _cleanup_(sd_bus_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        r = ctl_user_name_check(argv[1]);
        if (r < 0)
                return r;
        r = ctl_bus_open(&bus);
        if (r < 0)
                return r;
        r = ctl_bus_call_method(bus, PG_IFACE_ACCOUNTS, "GetAccount", &reply, "s", argv[1]);
        if (r < 0)
                return r;
        return print_properties(reply, order, args->json);
}

int verb_user_list(int argc, char **argv, const CtlArgs *args)
{
        _cleanup_(sd_bus_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        bool first = true;
        const char *user;
        int r;

        r = ctl_bus_open(&bus);
        if (r < 0)
                return r;
        r = ctl_bus_call_method(bus, PG_IFACE_ACCOUNTS, "ListAccounts", &reply, "");
        if (r < 0)
                return r;

        r = sd_bus_message_enter_container(reply, SD_BUS_TYPE_ARRAY, "s");
        if (r < 0)
                return ctl_parse_error(r);
        if (args->json)
                fputc('[', stdout);
        while ((r = sd_bus_message_read_basic(reply, SD_BUS_TYPE_STRING, &user)) > 0) {
                if (args->json) {
                        fputs(first ? "" : ",", stdout);
                        json_string(stdout, user);
                } else {
                        fputs_printable(user, stdout);
                        fputc('\n', stdout);
                }
                first = false;
        }
        if (r < 0)
                return ctl_parse_error(r);
        if (args->json)
                fputs("]\n", stdout);
        return 0;
}

static int call_for_user(const char *member, const char *user, const char *reason)
{
        _cleanup_(sd_bus_close_unrefp) sd_bus *bus = NULL;
        int r;

        r = ctl_user_name_check(user);
        if (r < 0)
                return r;
        r = ctl_bus_open(&bus);
        if (r < 0)
                return r;
        if (reason)
                return ctl_bus_call_method(bus, PG_IFACE_ACCOUNTS, member, NULL, "ss", user,
                                           reason);
        return ctl_bus_call_method(bus, PG_IFACE_ACCOUNTS, member, NULL, "s", user);
}

int verb_user_expire(int argc, char **argv, const CtlArgs *args)
{
        return call_for_user("ExpirePassword", argv[1], NULL);
}

int verb_user_lock(int argc, char **argv, const CtlArgs *args)
{
        return call_for_user("LockAccount", argv[1], args->reason ? args->reason : "");
}

int verb_user_unlock(int argc, char **argv, const CtlArgs *args)
{
        return call_for_user("UnlockAccount", argv[1], NULL);
}

int verb_user_delete(int argc, char **argv, const CtlArgs *args)
{
        return call_for_user("DeleteAccount", argv[1], NULL);
}

int verb_user_temporary(int argc, char **argv, const CtlArgs *args)
{
        int r = call_for_user("IssueTemporaryPassword", argv[1], NULL);

        if (r < 0)
                return r;
        /* Neither the password nor which contact it went to reaches the caller. */
        if (!args->json) {
                printf(_(MSG_CTL_TEMPORARY_SENT), argv[1]);
                fputc('\n', stdout);
        }
        return 0;
}
