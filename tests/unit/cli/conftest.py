"""Fixtures for the CLI's unit tests: the FAKE API (tests/unit/cli/fake_imgrec_api.py) and image folders."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.unit.cli.fake_imgrec_api import JPEG_MAGIC, PNG_MAGIC, FakeImgrecApi


@pytest.fixture
def fake_api() -> Iterator[FakeImgrecApi]:
    fake = FakeImgrecApi().start()
    yield fake
    fake.stop()


@pytest.fixture(autouse=True)
def isolated_cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test gets its own state folder and no configuration leaking in from the developer's shell."""
    monkeypatch.setenv("IMGREC_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.delenv("IMGREC_API_URL", raising=False)
    monkeypatch.delenv("IMGREC_TOKEN", raising=False)
    previous = signal.getsignal(signal.SIGTERM)
    yield
    signal.signal(signal.SIGTERM, previous)


MakeImages = Callable[..., list[Path]]


@pytest.fixture
def make_images(tmp_path: Path) -> MakeImages:
    """Writes `count` small files that start like JPEG (or PNG) under `folder`; sizes differ per file."""

    def make(count: int, folder: str = "images", ext: str = ".jpg", size: int = 64) -> list[Path]:
        root = tmp_path / folder
        root.mkdir(parents=True, exist_ok=True)
        magic = PNG_MAGIC if ext == ".png" else JPEG_MAGIC
        paths = []
        for i in range(count):
            path = root / f"img{i:05d}{ext}"
            path.write_bytes(magic + os.urandom(size + i % 7))
            paths.append(path)
        return paths

    return make
