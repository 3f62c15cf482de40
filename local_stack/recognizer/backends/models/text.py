"""Text detection and recognition with RapidOCR (PP-OCR ONNX models shipped inside the `rapidocr` wheel)."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np

Polygon = tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class OcrWord:
    text: str
    score: float
    polygon: Polygon


@dataclass(frozen=True)
class OcrLine:
    text: str
    score: float
    polygon: Polygon
    words: tuple[OcrWord, ...]


def _polygon(points: object) -> Polygon:
    return tuple((float(x), float(y)) for x, y in np.asarray(points, dtype=np.float64).reshape(-1, 2))


class TextReader:
    def __init__(self) -> None:
        from rapidocr import RapidOCR

        # Models come from the wheel itself (model_root_dir unset); "error" silences its per-call logging.
        # Detection on the image as it is, shrunk only past 1280 px (RapidOCR's default enlarges every image
        # to a 736 px short side: 3-4x slower here, and no better on the test signs); no 180° text classifier.
        self._engine = RapidOCR(
            params={
                "Global.log_level": "error",
                "Global.return_word_box": True,
                "Global.use_cls": False,
                "Det.limit_type": "max",
                "Det.limit_side_len": 1280,
            }
        )
        logging.getLogger("RapidOCR").setLevel(logging.ERROR)
        # RapidOCR keeps per-call state on the engine object: one call at a time.
        self._lock = threading.Lock()

    def read(self, rgb: np.ndarray) -> list[OcrLine]:
        with self._lock:
            result: Any = self._engine(rgb)
        if result.boxes is None or result.txts is None or result.scores is None:
            return []
        word_groups = getattr(result, "word_results", None) or [()] * len(result.txts)
        lines = []
        for box, text, score, words in zip(result.boxes, result.txts, result.scores, word_groups, strict=False):
            line_words = tuple(
                OcrWord(word_text, float(word_score), _polygon(word_box))
                for word_text, word_score, word_box in words
                if word_text.strip()
            )
            lines.append(OcrLine(text, float(score), _polygon(box), line_words))
        return lines
