"""The `models` backend: real offline models shipped inside PyPI packages (see docs/recognizer.md).

Models load once per process, lazily, under a lock; onnxruntime sessions are then shared by all request
threads (`InferenceSession.run` is thread-safe). A small per-image cache lets DetectLabels reuse the faces
and text that DetectFaces/DetectText found for the same bytes (the worker calls them together).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar, cast

import numpy as np

from ...image_input import ImageInput
from ...label_fusion import face_labels, text_label
from ...taxonomy import load_taxonomy, merge_labels
from .classifier import ImageClassifier
from .faces import FaceDetector
from .moderation import NudityClassifier
from .rekognition_shapes import face_detail, moderation_labels, text_detections
from .text import OcrLine, TextReader

Json = dict[str, Any]
T = TypeVar("T")
_CACHE_ENTRIES = 64


class _Models:
    def __init__(self) -> None:
        self.classifier = ImageClassifier()
        self.faces = FaceDetector()
        self.text = TextReader()
        self.nudity = NudityClassifier()


class ModelsBackend:
    name = "models"
    label_model_version = "local-efficientnet-lite0-1"
    text_model_version = "local-rapidocr-3"
    moderation_model_version = "local-opennsfw-1"

    def __init__(self) -> None:
        self._models: _Models | None = None
        self._load_lock = threading.Lock()
        self._cache: OrderedDict[tuple[bytes, str], Future[Any]] = OrderedDict()
        self._cache_lock = threading.Lock()

    def load(self) -> None:
        self._loaded()

    def _loaded(self) -> _Models:
        with self._load_lock:
            if self._models is None:
                self._models = _Models()
            return self._models

    def _cached(self, image: ImageInput, kind: str, compute: Callable[[], T]) -> T:
        """Compute once per (image, kind), even when several threads ask at the same moment."""
        key = (image.sha256, kind)
        with self._cache_lock:
            future = self._cache.get(key)
            owner = future is None
            if future is None:
                future = self._cache[key] = Future()
                while len(self._cache) > _CACHE_ENTRIES:
                    self._cache.popitem(last=False)
            else:
                self._cache.move_to_end(key)
        if owner:
            try:
                future.set_result(compute())
            except BaseException as error:
                with self._cache_lock:
                    self._cache.pop(key, None)  # a failure is not remembered: the next call tries again
                future.set_exception(error)
        return cast(T, future.result())

    def _ocr_lines(self, image: ImageInput) -> list[OcrLine]:
        models = self._loaded()
        return self._cached(image, "ocr", lambda: models.text.read(np.asarray(image.rgb())))

    def labels(self, image: ImageInput) -> list[Json]:
        models = self._loaded()
        taxonomy = load_taxonomy()
        classes = taxonomy.labels_from_classes(models.classifier.probabilities(image.rgb()))
        # Recognised lines only: the detector alone scores fur and foliage as text too often.
        text_scores = [100.0 * line.score for line in self._ocr_lines(image) if _is_words(line.text)]
        return merge_labels(classes, face_labels(taxonomy, self.faces(image)), text_label(taxonomy, text_scores))

    def faces(self, image: ImageInput) -> list[Json]:
        models = self._loaded()

        def detect() -> list[Json]:
            rgb = np.asarray(image.rgb())
            found, (width, height) = models.faces.detect(rgb)
            gray = np.asarray(image.rgb().convert("L").resize((width, height)))
            return [face_detail(face, gray) for face in found]

        return self._cached(image, "faces", detect)

    def text(self, image: ImageInput) -> list[Json]:
        return text_detections(self._ocr_lines(image), image.width, image.height)

    def moderation(self, image: ImageInput) -> list[Json]:
        return moderation_labels(self._loaded().nudity.nsfw_probability(image.rgb()))


def _is_words(text: str) -> bool:
    return sum(character.isalnum() for character in text) >= 2
