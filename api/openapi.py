"""The OpenAPI document: generated from the routes and models, completed with what Powertools does not
know (the security scheme, the raw image body of POST /images, errors instead of its 422), and the
human-readable reference page. `python -m api.openapi` prints it (`make openapi` writes docs/openapi.json;
the gate fails when that copy and the code differ)."""

from __future__ import annotations

import json
import sys
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler import APIGatewayRestResolver

OPENAPI_PATH = "/openapi.json"
DOCS_PATH = "/docs"
PUBLIC_PATHS = frozenset({"/health", OPENAPI_PATH, DOCS_PATH})
TITLE = "imgrec API"
VERSION = "1.1.0"
DESCRIPTION = """Upload images, get back what Amazon Rekognition finds in them.

Every operation but `/health` needs `Authorization: Bearer <token>`: a Cognito ID token when deployed,
your name on the local stack. A caller only ever sees its own batches and jobs. Errors share one body,
`{"error": {"code", "message"}}`. See docs/api.md in the repository for the flow."""

SECURITY_SCHEMES = {
    "bearer": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "Deployed: the Cognito user pool ID token (API Gateway's Cognito authorizer checks it). "
        "Local stack: the token is the caller's name.",
    }
}
IMAGE_BODY = {
    "required": True,
    "description": "The raw image bytes (JPEG, PNG, WebP, HEIC, GIF, TIFF, BMP, AVIF), up to the inline limit.",
    "content": {"image/*": {"schema": {"type": "string", "format": "binary"}}},
}


def _complete(document: dict[str, Any]) -> dict[str, Any]:
    document["servers"] = [
        {"url": ".", "description": "The API base URL: where this document is served (a stage URL, or /api locally)."}
    ]
    components = document.setdefault("components", {})
    components["securitySchemes"] = SECURITY_SCHEMES
    document["security"] = [{"bearer": []}]
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            operation["responses"].pop("422", None)  # validation answers 400, in the error envelope
            if path in PUBLIC_PATHS:
                operation["security"] = []
            if (path, method) == ("/images", "post"):
                operation["requestBody"] = IMAGE_BODY
    schemas = components.get("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError", "ResponseValidationError"):
        schemas.pop(unused, None)
    return document


def build_document(app: APIGatewayRestResolver) -> dict[str, Any]:
    schema = app.get_openapi_schema(title=TITLE, version=VERSION, description=DESCRIPTION)
    document: dict[str, Any] = json.loads(schema.model_dump_json(by_alias=True, exclude_none=True))
    return _complete(document)


@cache
def _rendered(app: APIGatewayRestResolver) -> str:
    return json.dumps(build_document(app), indent=2, ensure_ascii=False) + "\n"


def openapi_document(app: APIGatewayRestResolver) -> str:
    return _rendered(app)


@cache
def reference_page(app: APIGatewayRestResolver) -> str:
    """Swagger UI with its script and styles inline (they ship inside Powertools): no CDN at run time."""
    from aws_lambda_powertools.event_handler.openapi.swagger_ui import generate_swagger_html

    assets = resources.files("aws_lambda_powertools.event_handler.openapi.swagger_ui")
    spec = _rendered(app).replace("</", "<\\/")  # keeps "</script>" in a description from ending the page's script
    page = generate_swagger_html(
        spec,
        assets.joinpath("swagger-ui-bundle.min.js").read_text(encoding="utf-8"),
        assets.joinpath("swagger-ui.min.css").read_text(encoding="utf-8"),
        "",
        None,
    )
    return page.replace("<title>Swagger UI</title>", f"<title>{TITLE} reference</title>")


def main() -> None:
    from api.app import create_app

    sys.stdout.write(_rendered(create_app()))


if __name__ == "__main__":
    main()
