"""Shared by the entry points: run until Ctrl-C or SIGTERM (what `docker compose down` sends)."""

from __future__ import annotations

import contextlib
import signal
import threading


def wait_for_shutdown() -> None:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with contextlib.suppress(KeyboardInterrupt):
        stop.wait()
