"""The normalizer: any image people send becomes one Amazon Rekognition accepts, or a typed JobFailure.

Pure: bytes in, bytes and facts out; no I/O, safe to run in several threads at once.
"""

from worker.normalize.model import NormalizationRecord, NormalizedImage, NormalizeLimits
from worker.normalize.pipeline import normalize

__all__ = ["NormalizationRecord", "NormalizeLimits", "NormalizedImage", "normalize"]
