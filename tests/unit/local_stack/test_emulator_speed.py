"""The emulator resolves backends from a list made once, not from the file system on every request."""

from __future__ import annotations

import os

import pytest
from moto import backends

from local_stack import emulator_speed


def test_the_backend_list_is_the_same_and_read_once(monkeypatch: pytest.MonkeyPatch) -> None:
    listed = list(backends.list_of_moto_modules())
    emulator_speed.install()

    def no_listing(path: str) -> list[str]:
        raise AssertionError(f"listed {path} again")

    monkeypatch.setattr(os, "listdir", no_listing)
    assert list(backends.list_of_moto_modules()) == listed
    assert {"s3", "sqs", "dynamodb"} <= set(listed)
