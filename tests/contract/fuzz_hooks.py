"""Schemathesis hooks for the gate's fuzzing run (loaded through SCHEMATHESIS_HOOKS).

`nextToken` is opaque: only tokens this API issued are valid, and no schema can describe which those are,
so generated cases that carry one are left out (tests/contract/test_pagination_tokens.py covers forged
and foreign tokens).

CPython 3.11.7 (this machine's) builds AST objects with interpreter-wide recursion bookkeeping that two
threads parsing at once can corrupt (python/cpython#106905): hypothesis parses lambda sources to describe
filtered strategies, schemathesis' two workers did so together, and the run died with "SystemError: AST
constructor recursion depth mismatch" on an operation that had nothing wrong with it. Parsing is
serialized in this process, which costs nothing measurable and keeps the run's two workers.
"""

from __future__ import annotations

import ast
import threading
from functools import wraps
from typing import Any

import schemathesis

_PARSING = threading.Lock()
_parse = ast.parse


@wraps(_parse)
def _serialized_parse(*args: Any, **kwargs: Any) -> Any:
    with _PARSING:
        return _parse(*args, **kwargs)


ast.parse = _serialized_parse  # type: ignore[assignment]


@schemathesis.hook
def filter_case(ctx: Any, case: Any) -> bool:
    return not (case.query and "nextToken" in case.query)
