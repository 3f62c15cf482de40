"""`imgrec analyze --dry-run` says what a folder would cost and sends nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from imgrec.cli import main
from tests.support.images import photo_like


def test_a_dry_run_counts_distinct_images_and_calls_and_sends_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, seed in [("a.jpg", 1), ("b.jpg", 2), ("copy-of-a.jpg", 1)]:
        (tmp_path / name).write_bytes(photo_like(seed=seed))
    (tmp_path / "notes.txt").write_text("not an image")

    # An API URL nothing listens on: a dry run must not need it.
    code = main(["analyze", str(tmp_path), "--features", "LABELS,TEXT", "--dry-run", "--api", "http://127.0.0.1:9"])

    out = capsys.readouterr().out
    assert code == 0
    assert "3 images" in out and "2 distinct" in out and "analysed once" in out
    assert "4 Rekognition calls" in out and "$0.00 at $1.00 per 1,000 calls" in out
    assert "nothing was uploaded" in out


def test_the_price_can_be_given(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for seed in range(5):
        (tmp_path / f"{seed}.png").write_bytes(photo_like(seed=seed, fmt="PNG"))

    main(
        ["analyze", str(tmp_path), "--features", "LABELS,FACES,TEXT,MODERATION", "--dry-run", "--price-per-1000", "250"]
    )

    assert "20 Rekognition calls, about $5.00 at $250.00 per 1,000 calls" in capsys.readouterr().out
