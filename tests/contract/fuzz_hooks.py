"""Schemathesis hooks for the gate's fuzzing run (loaded through SCHEMATHESIS_HOOKS).

`nextToken` is opaque: only tokens this API issued are valid, and no schema can describe which those are,
so generated cases that carry one are left out (tests/contract/test_pagination_tokens.py covers forged
and foreign tokens).
"""

from __future__ import annotations

from typing import Any

import schemathesis


@schemathesis.hook
def filter_case(ctx: Any, case: Any) -> bool:
    return not (case.query and "nextToken" in case.query)
