"""The "create an account" offer in a real browser: shown only when config.json allows sign-up, and a refused
domain is explained before the user leaves for Cognito's sign-up page. The web app's own files are served
as they are; config.json and Cognito's pages are answered by the test (no stack, no network)."""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.browser
expect = pytest.importorskip("playwright.sync_api", reason="playwright is not installed: run make install").expect

FRONTEND = Path(__file__).resolve().parents[2] / "frontend"
COGNITO = "https://imgrec-test.auth.eu-west-1.amazoncognito.com"


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def web_app() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(FRONTEND)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def _cognito_config(web_app: str, sign_up: Any) -> dict[str, Any]:
    return {
        "apiBaseUrl": "https://a1b2c3.execute-api.eu-west-1.amazonaws.com/v1",
        "auth": {
            "mode": "cognito",
            "domain": COGNITO.removeprefix("https://"),
            "clientId": "client1",
            "redirectUri": web_app,
            "signUp": sign_up,
        },
        "maxUploadBytes": 41943040,
    }


def open_with(browser: Any, web_app: str, config: dict[str, Any] | None) -> tuple[Any, list[str]]:
    context = browser.new_context()
    page = context.new_page()
    visited: list[str] = []
    if config is not None:
        page.route("**/config.json", lambda route: route.fulfill(json=config))

    def cognito_page(route: Any) -> None:
        visited.append(route.request.url)
        route.fulfill(content_type="text/html", body="<h1>Cognito sign-up (stand-in)</h1>")

    page.route(f"{COGNITO}/**", cognito_page)
    page.goto(web_app)
    return page, visited


def test_the_local_stack_offers_no_sign_up(browser: Any, web_app: str) -> None:
    page, _ = open_with(browser, web_app, None)  # the repository's own config.json: local mode
    page.wait_for_selector("#signin-name")
    expect(page.locator("#sign-up")).to_have_count(0)


def test_a_deployment_without_sign_up_offers_only_sign_in(browser: Any, web_app: str) -> None:
    page, _ = open_with(browser, web_app, _cognito_config(web_app, False))
    expect(page.get_by_role("button", name="Sign in with your account")).to_be_visible()
    expect(page.locator("#sign-up")).to_have_count(0)


def test_sign_up_for_allowed_domains_explains_a_refusal_and_sends_an_allowed_address_to_cognito(
    browser: Any, web_app: str, artifacts: Path
) -> None:
    page, visited = open_with(
        browser, web_app, _cognito_config(web_app, {"allowedDomains": ["example.com", "*.example.org"]})
    )
    expect(page.locator("#sign-up")).to_be_visible()
    expect(page.locator("#signup-hint")).to_contain_text("example.com or any sub-domain of example.org")

    page.fill("#signup-email", "mallory@gmail.com")
    page.click("#sign-up")
    refusal = page.locator("#signup-refused")
    expect(refusal).to_be_visible()
    expect(refusal).to_contain_text("gmail.com is not accepted here")
    expect(refusal).to_contain_text("example.com or any sub-domain of example.org")
    page.screenshot(path=str(artifacts / "sign-up-refused.png"), full_page=True)
    assert visited == [], "a refused address never leaves the page"

    page.fill("#signup-email", "alice@eu.example.org")
    page.click("#sign-up")
    page.wait_for_url(f"{COGNITO}/signup**")
    [url] = visited
    assert "code_challenge=" in url and "client_id=client1" in url


def test_sign_up_for_anyone_goes_straight_to_cognito(browser: Any, web_app: str) -> None:
    page, visited = open_with(browser, web_app, _cognito_config(web_app, {"allowedDomains": []}))
    expect(page.locator("#signup-hint")).not_to_contain_text("Accounts are for")
    page.fill("#signup-email", "anyone@anywhere.test")
    page.click("#sign-up")
    page.wait_for_url(f"{COGNITO}/signup**")
    [url] = visited
    assert "/signup?" in url
