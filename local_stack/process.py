"""Shared by the entry points: run until Ctrl-C or SIGTERM (what `docker compose down` sends), and, under the
embedded stack's supervisor, stop with it.

A supervised child (`IMGREC_LOCAL_SUPERVISED=1`, set by `local_stack.supervisor`) reads its standard input,
a pipe from the supervisor: each line is a JSON control message for the entry point, and end-of-file means
the supervisor is gone (Ctrl-C, or killed outright), so the child stops as if sent SIGTERM. No child can
outlive `make up`, whatever happened to it. Compose does not set the variable: there, stdin is not a pipe.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import threading
from collections.abc import Callable, Mapping
from typing import Any

from local_stack.log_lines import emit

SUPERVISED_ENV = "IMGREC_LOCAL_SUPERVISED"

ControlHandler = Callable[[dict[str, Any]], None]


def is_supervised(environ: Mapping[str, str] | None = None) -> bool:
    return (os.environ if environ is None else environ).get(SUPERVISED_ENV) == "1"


def watch_parent(on_message: ControlHandler | None = None) -> None:
    """Under the supervisor: hand control messages to `on_message`, and SIGTERM ourselves when the pipe
    closes. Does nothing when not supervised."""
    if not is_supervised():
        return

    def read() -> None:
        for line in sys.stdin:
            if line.strip() and on_message is not None:
                on_message(json.loads(line))
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=read, name="parent-watch", daemon=True).start()


def wait_for_shutdown(on_message: ControlHandler | None = None) -> None:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    watch_parent(on_message)
    with contextlib.suppress(KeyboardInterrupt):
        stop.wait()


def announce(message: str) -> None:
    """The log line that says a server is up: `… listening on <url> …` (the supervisor waits for it)."""
    emit("INFO", message)
