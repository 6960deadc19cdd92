# SPDX-License-Identifier: GPL-2.0-or-later
"""Typed D-Bus values for the test harness, and their JSON form.

Arguments are plain Python values converted by the method's signature. A variant needs its type:
V('t', 5) or V('a{ss}', {...}); a bare str or bool inside a variant is guessed as 's' or 'b'.
Replies come back as plain Python values (dict, list, str, int, bool, float).
This file is also copied next to buscall.py and imported from there, so it uses only dbus.
"""
import dbus


class V:
    """A variant with an explicit type signature."""

    __slots__ = ('sig', 'value')

    def __init__(self, sig, value):
        self.sig = sig
        self.value = value

    def __repr__(self):
        return f'V({self.sig!r}, {self.value!r})'


_BASIC = {
    's': dbus.String,
    'o': dbus.ObjectPath,
    'g': dbus.Signature,
    'b': dbus.Boolean,
    'y': dbus.Byte,
    'n': dbus.Int16,
    'q': dbus.UInt16,
    'i': dbus.Int32,
    'u': dbus.UInt32,
    'x': dbus.Int64,
    't': dbus.UInt64,
    'd': dbus.Double,
    'h': dbus.types.UnixFd,
}


def split_signature(sig):
    """'sa{sv}b' -> ['s', 'a{sv}', 'b']"""
    return [str(s) for s in dbus.Signature(sig)]


def to_dbus(sig, value):
    c = sig[0]
    if c == 'v':
        if isinstance(value, V):
            return to_dbus(value.sig, value.value)
        if isinstance(value, bool):
            return dbus.Boolean(value)
        if isinstance(value, str):
            return dbus.String(value)
        raise TypeError(f'variant value {value!r} needs an explicit type: V(sig, value)')
    if c == 'a':
        if sig[1] == '{':
            k, v = split_signature(sig[2:-1])
            return dbus.Dictionary({to_dbus(k, kk): to_dbus(v, vv) for kk, vv in value.items()},
                                   signature=k + v)
        elem = sig[1:]
        return dbus.Array([to_dbus(elem, x) for x in value], signature=elem)
    if c == '(':
        parts = split_signature(sig[1:-1])
        if len(parts) != len(value):
            raise TypeError(f'struct {sig} needs {len(parts)} members, got {value!r}')
        return dbus.Struct([to_dbus(p, x) for p, x in zip(parts, value)], signature=sig[1:-1])
    if c in _BASIC:
        return _BASIC[c](value)
    raise TypeError(f'unsupported signature {sig!r}')


def args_to_dbus(sig, args):
    parts = split_signature(sig) if sig else []
    if len(parts) != len(args):
        raise TypeError(f'signature {sig!r} needs {len(parts)} arguments, got {len(args)}')
    return [to_dbus(p, a) for p, a in zip(parts, args)]


def from_dbus(v):
    if isinstance(v, dbus.Boolean):
        return bool(v)
    if isinstance(v, (dbus.Byte, dbus.Int16, dbus.UInt16, dbus.Int32, dbus.UInt32, dbus.Int64,
                      dbus.UInt64)):
        return int(v)
    if isinstance(v, dbus.Double):
        return float(v)
    if isinstance(v, (dbus.String, dbus.ObjectPath, dbus.Signature)):
        return str(v)
    if isinstance(v, (dbus.ByteArray, bytes)):
        return list(bytes(v))
    if isinstance(v, dict):
        return {from_dbus(k): from_dbus(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [from_dbus(x) for x in v]
    return v


def reply_from_dbus(reply):
    """A method's reply (None, one value or a tuple of values) as plain Python values."""
    if reply is None:
        return None
    if isinstance(reply, tuple):
        if len(reply) == 0:
            return None
        return tuple(from_dbus(x) for x in reply)
    return from_dbus(reply)


def encode_json(value):
    """Python argument (possibly containing V) -> JSON-able form."""
    if isinstance(value, V):
        return {'$v': [value.sig, encode_json(value.value)]}
    if isinstance(value, dict):
        return {k: encode_json(x) for k, x in value.items()}
    if isinstance(value, (list, tuple)):
        return [encode_json(x) for x in value]
    return value


def decode_json(value):
    if isinstance(value, dict):
        if set(value) == {'$v'}:
            sig, inner = value['$v']
            return V(sig, decode_json(inner))
        return {k: decode_json(x) for k, x in value.items()}
    if isinstance(value, list):
        return [decode_json(x) for x in value]
    return value
