"""The embedded stack the benchmarks measure against: every port chosen by the system (a benchmark never takes
one a running `make up` may hold), the stub recognizer unless another is given, stopped on the way out."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from local_stack.embedded import EmbeddedStack, StackOptions
from local_stack.recognizer import RecognizerConfig


@contextmanager
def embedded_stack(recognizer: RecognizerConfig | None = None, **options: Any) -> Iterator[EmbeddedStack]:
    stack = EmbeddedStack(
        StackOptions(
            api_port=0,
            aws_port=0,
            recognizer_port=0,
            socket_port=0,
            recognizer=recognizer or RecognizerConfig(backend="stub"),
            **options,
        )
    ).start()
    try:
        yield stack
    finally:
        stack.stop()
