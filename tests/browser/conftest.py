"""Headless Chromium (Debian's `chromium` package) driven by Playwright, against the embedded stack.

Locally the browser tests skip, saying why, when Chromium is not installed; with CI=true a missing browser
fails the run instead, so CI can never go green without having run them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path(os.environ.get("IMGREC_CHROMIUM", "/usr/bin/chromium"))
# Playwright's own browser download does not work on these machines; Debian's build is started as is.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"


def _missing_browser(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"browser tests cannot run in CI: {reason}", pytrace=False)
    pytest.skip(f"browser tests skipped: {reason}")


# Module scope, not session: Playwright's sync API keeps an event loop running in the main thread while it
# lives, which would break every later test that calls asyncio.run().
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        _missing_browser(f"no Chromium at {CHROMIUM} (apt-get install -y chromium, or set IMGREC_CHROMIUM)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as error:
        _missing_browser(f"playwright is not installed ({error}); run make install")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
