# SPDX-License-Identifier: GPL-2.0-or-later
"""Shared test library for passgate's bus, pam and e2e suites and for tools/try.

Run with /usr/bin/python3 (python3-dbus, python3-dbusmock). Paths come from the environment:
PASSGATE_BUILD_ROOT (required), PASSGATE_SOURCE_ROOT (default: this checkout).
"""
from .dbusval import V  # noqa: F401
from .sandbox import *  # noqa: F401,F403
from .sandbox import N, BusError, CtlResult, PamResult, Sandbox, TestCase, main, strings_in  # noqa: F401
from . import pamcase  # noqa: F401,E402
