"""Limits of the REST contract that are not deployment settings (the web app and CLI get them generated)."""

from __future__ import annotations

# Images per POST /batches or POST /batches/{id}/images call (design/API.md).
MAX_IMAGES_PER_REQUEST = 500
