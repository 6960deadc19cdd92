#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Makes D-Bus calls for the test harness from another uid (run through runuser).

stdin: {"address": ..., "calls": [{"dest", "path", "iface", "method", "sig", "args", "timeout"}]}
A call's "path" may be {"ref": i}: the first value of the reply of call i (a conversation path).
stdout: a JSON list with one {"ok": reply} or {"error": name, "message": text} per call. All calls run
in order on one connection.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import dbus  # noqa: E402
import dbus.bus  # noqa: E402
from dbusval import args_to_dbus, decode_json, reply_from_dbus  # noqa: E402


def main():
    req = json.load(sys.stdin)
    bus = dbus.bus.BusConnection(req['address'])
    results = []
    for call in req['calls']:
        path = call['path']
        if isinstance(path, dict):
            ref = results[path['ref']]
            if 'ok' not in ref:
                results.append({'error': 'harness.RefFailed', 'message': 'referenced call failed'})
                continue
            path = ref['ok'][0] if ref.get('multi') else ref['ok']
        try:
            args = args_to_dbus(call['sig'], decode_json(call['args']))
            reply = bus.call_blocking(call['dest'], path, call['iface'], call['method'], call['sig'],
                                      args, timeout=call.get('timeout', 30))
            value = reply_from_dbus(reply)
            results.append({'ok': value, 'multi': isinstance(value, tuple)})
        except dbus.exceptions.DBusException as e:
            results.append({'error': e.get_dbus_name(), 'message': e.get_dbus_message()})
    json.dump(results, sys.stdout)
    return 0


if __name__ == '__main__':
    sys.exit(main())
