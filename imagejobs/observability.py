"""Logger, Tracer and Metrics: one instance each per process, named by POWERTOOLS_* settings.

With tracing off (outside Lambda, or POWERTOOLS_TRACE_DISABLED: the local stack and the tests) the tracer
gets a provider that does nothing, so the X-Ray SDK — a third of a second of imports and two clients — is
never loaded; in Lambda with active tracing it is the X-Ray provider as usual.
"""

from __future__ import annotations

import os
from collections.abc import AsyncGenerator, Generator, Sequence
from contextlib import asynccontextmanager, contextmanager
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.tracing.base import BaseProvider, BaseSegment


class _NoSegment(BaseSegment):
    def close(self, end_time: int | None = None) -> None:
        return None

    def add_subsegment(self, subsegment: Any) -> None:
        return None

    def remove_subsegment(self, subsegment: Any) -> None:
        return None

    def put_annotation(self, key: str, value: Any) -> None:
        return None

    def put_metadata(self, key: str, value: Any, namespace: str = "default") -> None:
        return None

    def add_exception(self, exception: BaseException, stack: Any, remote: bool = False) -> None:
        return None


class NoTracing(BaseProvider):
    """A tracing provider that records nothing."""

    @contextmanager
    def in_subsegment(self, name: str | None = None, **kwargs: Any) -> Generator[BaseSegment, None, None]:
        yield _NoSegment()

    @asynccontextmanager
    async def in_subsegment_async(self, name: str | None = None, **kwargs: Any) -> AsyncGenerator[BaseSegment, None]:
        yield _NoSegment()

    def put_annotation(self, key: str, value: Any) -> None:
        return None

    def put_metadata(self, key: str, value: Any, namespace: str = "default") -> None:
        return None

    def patch(self, modules: Sequence[str]) -> None:
        return None

    def patch_all(self) -> None:
        return None


def tracing_enabled(environ: dict[str, str] | os._Environ[str] = os.environ) -> bool:
    """Powertools' own rule: on in Lambda (not under SAM local), unless POWERTOOLS_TRACE_DISABLED."""
    disabled = environ.get("POWERTOOLS_TRACE_DISABLED", "false").strip().lower() in {"1", "true", "yes", "on"}
    in_lambda = bool(environ.get("LAMBDA_TASK_ROOT")) and not environ.get("AWS_SAM_LOCAL")
    return in_lambda and not disabled


logger = Logger()
tracer = Tracer() if tracing_enabled() else Tracer(disabled=True, auto_patch=False, provider=NoTracing())
metrics = Metrics()
