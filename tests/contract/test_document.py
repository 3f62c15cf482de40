"""The OpenAPI document: committed, served, and saying what the API really answers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import requests

from api.app import create_app
from api.openapi import build_document

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ROOT / "docs" / "openapi.json"


def _document() -> dict[str, Any]:
    return build_document(create_app())


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(path, method, op) for path, ops in document["paths"].items() for method, op in ops.items()]


def test_the_committed_document_equals_the_served_one(stack: object) -> None:
    served = requests.get(f"{stack.api_url}/openapi.json", timeout=10)  # type: ignore[attr-defined]

    assert served.status_code == 200
    assert served.json() == json.loads(COMMITTED.read_text()), "run `make contract` and commit docs/openapi.json"


def test_every_operation_states_its_errors_in_the_envelope() -> None:
    document = _document()

    for path, method, operation in _operations(document):
        responses = operation["responses"]
        assert "422" not in responses, (method, path)
        assert {"500", "503"} <= set(responses), (method, path)
        for status, response in responses.items():
            if int(status) >= 400:
                schema = response["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorEnvelope"}, (method, path, status)


def test_every_operation_but_health_needs_the_bearer_token() -> None:
    document = _document()

    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    assert document["security"] == [{"bearer": []}]
    for path, method, operation in _operations(document):
        public = path == "/health"
        assert (operation.get("security") == []) is public, (method, path)
        assert ("401" in operation["responses"]) is not public, (method, path)


def test_post_images_takes_the_raw_image_as_its_body() -> None:
    body = _document()["paths"]["/images"]["post"]["requestBody"]

    assert body["required"] is True
    assert body["content"]["image/*"]["schema"] == {"type": "string", "format": "binary"}


def test_the_server_url_resolves_against_where_the_document_is_served() -> None:
    assert _document()["servers"][0]["url"] == "."


def test_the_reference_page_is_served_without_a_cdn(stack: object) -> None:
    page = requests.get(f"{stack.api_url}/docs", timeout=10)  # type: ignore[attr-defined]

    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert "SwaggerUIBundle" in page.text and "imgrec API" in page.text
    assert "cdn." not in page.text and "<script src=" not in page.text
