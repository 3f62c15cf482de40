"""Parsing request bodies as JSON without letting a hostile body crash the function.

`json.loads` raises RecursionError on deeply nested input, ValueError on integers of over 4,300 digits, and
accepts NaN and Infinity, none of which is JSON. Each becomes a 400 here; so does nesting deeper than any
request of this API needs, and a body that is not an object (every body of this API is one).
"""

from __future__ import annotations

import json
from typing import Any

from api.errors import BadRequestError

MAX_DEPTH = 16


def _reject_constant(name: str) -> Any:
    raise BadRequestError(f"the body is not valid JSON: {name} is not a JSON number")


def _depth(value: Any) -> int:
    """Nesting depth of parsed JSON, iteratively (no recursion to exhaust)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict | list):
            deepest = max(deepest, depth)
            if depth > MAX_DEPTH:
                return depth
            children = node.values() if isinstance(node, dict) else node
            stack.extend((child, depth + 1) for child in children)
    return deepest


def parse_json_body(body: str) -> Any:
    try:
        value = json.loads(body, parse_constant=_reject_constant)
    except RecursionError as error:
        raise BadRequestError(f"the body is nested too deeply (at most {MAX_DEPTH} levels)") from error
    except ValueError as error:  # JSONDecodeError, and integers too long to convert
        raise BadRequestError(f"the body is not valid JSON: {error}") from error
    if not isinstance(value, dict):  # every JSON body of this API is an object; `null` is not "no body"
        raise BadRequestError("the body must be a JSON object")
    if _depth(value) > MAX_DEPTH:
        raise BadRequestError(f"the body is nested too deeply (at most {MAX_DEPTH} levels)")
    return value
