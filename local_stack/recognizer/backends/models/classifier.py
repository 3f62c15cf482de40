"""ImageNet-1k classification with EfficientNet-Lite0 on onnxruntime: image → class probabilities."""

from __future__ import annotations

import numpy as np
from PIL import Image

from .efficientnet_onnx import INPUT_NAME, INPUT_SIZE, converted_model_bytes
from .package_files import cpu_session

# Lite models were trained on inputs scaled to [-1, 1].
_MEAN, _STD = 127.0, 128.0
_RESIZE_EDGE = 256  # short side before the centre crop, the usual 224/256 evaluation ratio


def preprocess(image: Image.Image) -> np.ndarray:
    width, height = image.size
    scale = _RESIZE_EDGE / min(width, height)
    resized = image.resize(
        (max(INPUT_SIZE, round(width * scale)), max(INPUT_SIZE, round(height * scale))),
        Image.Resampling.BILINEAR,
    )
    left, top = (resized.width - INPUT_SIZE) // 2, (resized.height - INPUT_SIZE) // 2
    crop = resized.crop((left, top, left + INPUT_SIZE, top + INPUT_SIZE))
    array = (np.asarray(crop, dtype=np.float32) - _MEAN) / _STD
    return np.ascontiguousarray(array.transpose(2, 0, 1)[None])


class ImageClassifier:
    def __init__(self) -> None:
        self._session = cpu_session(converted_model_bytes())

    def probabilities(self, image: Image.Image, top: int = 10) -> dict[int, float]:
        """The `top` most likely classes and their softmax probabilities (0..1)."""
        (logits,) = self._session.run(None, {INPUT_NAME: preprocess(image)})
        scores = logits[0].astype(np.float64)
        probabilities = np.exp(scores - scores.max())
        probabilities /= probabilities.sum()
        best = np.argsort(-probabilities)[:top]
        return {int(index): float(probabilities[index]) for index in best}
