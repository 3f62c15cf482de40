"""Runs the local stack's services as child processes: starts them, waits until each announces it is up,
files each one's output under the log directory, relays notable log records, and stops them all.

Children run in sessions of their own, so Ctrl-C reaches only the supervisor, which then stops them in
reverse start order. Each child's stdin is a pipe from the supervisor (`local_stack.process`): if the
supervisor dies without stopping them (SIGKILL), the pipe closes and every child stops by itself.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from local_stack import log_lines
from local_stack.process import SUPERVISED_ENV
from local_stack.services import Service

REPO_ROOT = Path(__file__).resolve().parent.parent
STOP_GRACE_SECONDS = 10

RecordHandler = Callable[[str, dict[str, Any]], None]


class ServiceStartError(RuntimeError):
    """A service exited or stayed silent before announcing that it is up."""


@dataclass
class Child:
    service: Service
    process: subprocess.Popen[str]
    log_path: Path
    announced: threading.Event = field(default_factory=threading.Event)
    details: dict[str, str] = field(default_factory=dict)  # the groups of its announcement (url, ...)
    tail: deque[str] = field(default_factory=lambda: deque(maxlen=20))
    relay: threading.Thread | None = None

    @property
    def url(self) -> str:
        return self.details["url"]

    def send(self, message: dict[str, Any]) -> None:
        """A control message on the child's stdin (see local_stack.process)."""
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(message) + "\n")
        self.process.stdin.flush()


@dataclass
class Supervisor:
    log_dir: Path
    environment: Mapping[str, str]
    echo: Callable[[str], None] | None = None  # where human lines go (the terminal of `make up`)
    on_record: RecordHandler | None = None
    children: list[Child] = field(default_factory=list)
    _stopping: threading.Event = field(default_factory=threading.Event)

    def start(self, service: Service, arguments: list[str], environment: Mapping[str, str]) -> Child:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log_path = self.log_dir / f"{service.name}.log"
        env = {
            **self.environment,
            **environment,
            SUPERVISED_ENV: "1",
            "PYTHONUNBUFFERED": "1",
            "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])),
        }
        if service.function:
            env["POWERTOOLS_SERVICE_NAME"] = service.function
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", service.module, *arguments],
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            encoding="utf-8",
            errors="replace",  # a stray byte in a child's output must not stop its relay (and block it)
            bufsize=1,
            start_new_session=True,  # Ctrl-C on the terminal reaches the supervisor only
        )
        child = Child(service=service, process=process, log_path=log_path)
        child.relay = threading.Thread(target=self._relay, args=(child,), name=f"relay-{service.name}", daemon=True)
        child.relay.start()
        self.children.append(child)
        return child

    def wait_until_up(self, children: list[Child], timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        for child in children:
            while not child.announced.wait(0.05):
                if child.process.poll() is not None or time.monotonic() > deadline:
                    if child.relay is not None:
                        child.relay.join(timeout=2)  # the last lines it wrote
                    what = "exited" if child.process.poll() is not None else "did not start in time"
                    last = "\n".join(child.tail) or "(no output)"
                    raise ServiceStartError(f"{child.service.name} {what}; its last lines:\n{last}")

    def stop(self) -> None:
        """Stops every child: SIGTERM in reverse start order, SIGKILL for any still running after the grace."""
        self._stopping.set()
        for child in reversed(self.children):
            if child.process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    child.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for child in reversed(self.children):
            try:
                child.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.process.kill()
                child.process.wait()
            if child.process.stdin is not None:
                with contextlib.suppress(OSError):
                    child.process.stdin.close()
            if child.relay is not None:
                child.relay.join(timeout=5)
        self.children = []

    def stop_service(self, name: str) -> None:
        """Stops every process (instance) of one service."""
        running = [c for c in self.children if c.service.name == name and c.process.poll() is None]
        for child in running:
            child.process.send_signal(signal.SIGTERM)
        for child in running:
            child.process.wait(timeout=STOP_GRACE_SECONDS)

    def _relay(self, child: Child) -> None:
        assert child.process.stdout is not None
        with child.log_path.open("a", encoding="utf-8") as log:
            for line in child.process.stdout:
                log.write(line)
                log.flush()
                child.tail.append(line.rstrip("\n"))
                if not child.announced.is_set():
                    self._check_announcement(child, line)
                self._handle(child, line)
        if not self._stopping.is_set() and self.echo is not None:
            code = child.process.wait()
            self.echo(f"{child.service.name} stopped (exit code {code}); its log: {child.log_path}")

    def _check_announcement(self, child: Child, line: str) -> None:
        match: re.Match[str] | None = child.service.ready.search(line)
        if match:
            child.details.update(match.groupdict())
            child.announced.set()

    def _handle(self, child: Child, line: str) -> None:
        record = log_lines.parse(line)
        if record is None:
            return
        if self.on_record is not None:
            self.on_record(child.service.name, record)
        if self.echo is not None and not self._stopping.is_set():
            human = log_lines.human_line(child.service.function or child.service.name, record)
            if human is not None:
                self.echo(human)


def relay_to(stream: IO[str]) -> Callable[[str], None]:
    lock = threading.Lock()

    def write(line: str) -> None:
        with lock:
            stream.write(line + "\n")
            stream.flush()

    return write
