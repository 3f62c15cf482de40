"""Walking the command line's files and folders."""

from __future__ import annotations

import os
from pathlib import Path

from imgrec.scan import EMPTY_FILE, NOT_A_FILE, NOT_FOUND, UNSUPPORTED_FORMAT, FoundImage, Problem, scan


def _touch(path: Path, data: bytes = b"data") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_folders_are_walked_in_name_order_keeping_image_extensions_only(tmp_path: Path) -> None:
    _touch(tmp_path / "b.JPG")
    _touch(tmp_path / "a.png")
    _touch(tmp_path / "notes.txt")
    _touch(tmp_path / "sub" / "c.webp")
    _touch(tmp_path / "sub" / "deeper" / "d.jpeg")

    found = list(scan([str(tmp_path)]))

    assert [Path(item.path).relative_to(tmp_path).as_posix() for item in found] == [
        "a.png",
        "b.JPG",
        "sub/c.webp",
        "sub/deeper/d.jpeg",
    ]
    assert all(isinstance(item, FoundImage) for item in found)
    assert [item.content_type for item in found if isinstance(item, FoundImage)] == [
        "image/png",
        "image/jpeg",
        "image/webp",
        "image/jpeg",
    ]


def test_symlinks_inside_folders_are_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    _touch(outside / "secret.jpg")
    root = tmp_path / "root"
    _touch(root / "real.jpg")
    os.symlink(outside, root / "linked-dir")
    os.symlink(outside / "secret.jpg", root / "linked.jpg")
    os.symlink(root, root / "loop")  # would recurse forever if followed

    found = [Path(item.path).name for item in scan([str(root)])]

    assert found == ["real.jpg"]


def test_problems_are_reported_and_do_not_stop_the_scan(tmp_path: Path) -> None:
    good = _touch(tmp_path / "good.jpg")
    empty = _touch(tmp_path / "empty.jpg", b"")
    text = _touch(tmp_path / "readme.txt")
    fifo = tmp_path / "pipe.jpg"
    os.mkfifo(fifo)
    missing = tmp_path / "missing.jpg"

    items = list(scan([str(missing), str(text), str(fifo), str(empty), str(good)]))

    assert [(Path(i.path).name, i.code) for i in items if isinstance(i, Problem)] == [
        ("missing.jpg", NOT_FOUND),
        ("readme.txt", UNSUPPORTED_FORMAT),
        ("pipe.jpg", NOT_A_FILE),
        ("empty.jpg", EMPTY_FILE),
    ]
    assert [Path(i.path).name for i in items if isinstance(i, FoundImage)] == ["good.jpg"]


def test_a_fifo_inside_a_folder_is_reported_without_blocking(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "camera.jpg")
    items = list(scan([str(tmp_path)]))
    assert [(Path(i.path).name, i.code) for i in items if isinstance(i, Problem)] == [("camera.jpg", NOT_A_FILE)]


def test_relative_paths_become_absolute(tmp_path: Path, monkeypatch) -> None:
    _touch(tmp_path / "x.png")
    monkeypatch.chdir(tmp_path)
    (item,) = scan(["x.png"])
    assert item.path == str(tmp_path / "x.png")
