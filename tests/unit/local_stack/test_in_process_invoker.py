"""A function run in-process is one Lambda execution environment: one invocation at a time."""

from __future__ import annotations

import threading
from typing import Any

from local_stack.poller import InProcessInvoker


class OverlapRecorder:
    """A stand-in handler that notes how many invocations run at once."""

    def __init__(self) -> None:
        self.running = 0
        self.most = 0
        self.lock = threading.Lock()
        self.entered = threading.Event()

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)
        self.entered.set()
        threading.Event().wait(0.05)  # long enough for another thread to try to enter
        with self.lock:
            self.running -= 1
        return {"batchItemFailures": [], "function": context.function_name}


def test_invocations_from_several_poller_threads_never_overlap() -> None:
    handler = OverlapRecorder()
    invoker = InProcessInvoker(handler, function_name="imgrec-worker")
    answers: list[Any] = []
    threads = [threading.Thread(target=lambda: answers.append(invoker.invoke({"Records": []}))) for _ in range(4)]

    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)

    assert handler.most == 1
    assert answers == [{"batchItemFailures": [], "function": "imgrec-worker"}] * 4
