"""What a recognition backend provides: every candidate it finds, in Rekognition's own JSON shapes.

Filtering by the caller's parameters happens in `operations`, the same for every backend.
"""

from __future__ import annotations

from typing import Any, Protocol

from ..image_input import ImageInput

Json = dict[str, Any]


class Backend(Protocol):
    name: str
    label_model_version: str
    text_model_version: str
    moderation_model_version: str

    def load(self) -> None:
        """Load whatever the backend needs, once; later calls return at once."""

    def labels(self, image: ImageInput) -> list[Json]:
        """Label candidates (Name, Confidence, Instances, Parents, Aliases, Categories), best first."""
        ...

    def faces(self, image: ImageInput) -> list[Json]:
        """FaceDetail dicts with every attribute the backend can tell."""
        ...

    def text(self, image: ImageInput) -> list[Json]:
        """TextDetection dicts: the LINEs, then their WORDs (ParentId = the line's Id)."""
        ...

    def moderation(self, image: ImageInput) -> list[Json]:
        """ModerationLabel dicts (Name, ParentName, TaxonomyLevel, Confidence)."""
        ...
