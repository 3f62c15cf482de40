"""`imgrec analyze --dry-run`: what a run would cost, before anything is uploaded.

Every image costs one Rekognition call per requested feature; files with the same content are analysed
once (the service reuses stored answers for the same bytes and options), so they are counted once. The price
is the us-east-1 list price for the first million images a month unless given: the estimate is an upper
bound for larger volumes (cheaper tiers) and a guide elsewhere.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TextIO

from imgrec.scan import FoundImage, Problem

LIST_PRICE_PER_1000_CALLS = 1.0  # USD, DetectLabels/Faces/Text/ModerationLabels ("Group 2"), us-east-1
_CHUNK = 1 << 20


@dataclass(frozen=True)
class Estimate:
    images: int
    distinct: int
    skipped: int
    total_bytes: int
    features: tuple[str, ...]
    price_per_1000_calls: float

    @property
    def calls(self) -> int:
        return self.distinct * len(self.features)

    @property
    def cost_usd(self) -> float:
        return self.calls * self.price_per_1000_calls / 1000


def _digest(path: str) -> str | None:
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as file:
            while chunk := file.read(_CHUNK):
                digest.update(chunk)
    except OSError:
        return None
    return digest.hexdigest()


def estimate(found: Iterable[FoundImage | Problem], features: Sequence[str], price_per_1000_calls: float) -> Estimate:
    digests: set[str] = set()
    images = skipped = total_bytes = 0
    for item in found:
        if isinstance(item, Problem):
            skipped += 1
            continue
        digest = _digest(item.path)
        if digest is None:
            skipped += 1
            continue
        images += 1
        total_bytes += item.size
        digests.add(digest)
    return Estimate(images, len(digests), skipped, total_bytes, tuple(features), price_per_1000_calls)


def report(result: Estimate, out: TextIO) -> None:
    features = ",".join(result.features)
    same = result.images - result.distinct
    lines = [
        f"{result.images} images ({result.total_bytes / 1e6:.1f} MB), {result.distinct} distinct"
        + (f" ({same} with the same content as another, analysed once)" if same else ""),
        f"features {features}: {result.calls} Rekognition calls, "
        f"about ${result.cost_usd:.2f} at ${result.price_per_1000_calls:.2f} per 1,000 calls",
    ]
    if result.skipped:
        lines.append(f"{result.skipped} paths are not images this client would send (see a real run's results)")
    lines.append("nothing was uploaded (--dry-run)")
    out.write("\n".join(lines) + "\n")
