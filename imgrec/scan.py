"""Finding the images to analyse: files and folders from the command line, walked lazily.

Folders are walked in name order without following symbolic links; only files with an image extension are
taken from folders (a named file with another extension is reported). Problems (missing, not a regular
file, unreadable, empty) become `Problem`s for the results file instead of stopping the run.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

CONTENT_TYPES = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".jpe": "image/jpeg",
    ".png": "image/png",
    ".webp": "image/webp",
    ".gif": "image/gif",
    ".bmp": "image/bmp",
    ".tif": "image/tiff",
    ".tiff": "image/tiff",
    ".heic": "image/heic",
    ".heif": "image/heif",
    ".avif": "image/avif",
}

# Local problem codes, next to the API's job error codes in the results file.
NOT_FOUND = "NOT_FOUND"
NOT_A_FILE = "NOT_A_FILE"
UNREADABLE = "UNREADABLE"
# The same codes the API uses: such files are refused here, before any upload slot is made for them.
EMPTY_FILE = "EMPTY_FILE"
UNSUPPORTED_FORMAT = "UNSUPPORTED_FORMAT"


@dataclass(frozen=True)
class FoundImage:
    path: str  # absolute, as the results file shows it
    size: int
    content_type: str
    # When it last changed: a file sent before whose size or time differs is hashed to see if it really did.
    mtime_ns: int = 0


@dataclass(frozen=True)
class Problem:
    path: str
    code: str
    message: str


def content_type_for(path: str) -> str | None:
    return CONTENT_TYPES.get(os.path.splitext(path)[1].lower())


def scan(paths: Sequence[str]) -> Iterator[FoundImage | Problem]:
    """Yields images and problems in a stable order (arguments in order, folders by name).

    A file reached twice (named and inside a named folder) is yielded twice: the state store keeps one.
    """
    for argument in paths:
        absolute = os.path.abspath(argument)
        try:
            info = os.stat(absolute)  # a symlink named on the command line is followed, like `ls` does
        except FileNotFoundError:
            yield Problem(absolute, NOT_FOUND, "no such file or folder")
            continue
        except OSError as error:
            yield Problem(absolute, UNREADABLE, error.strerror or str(error))
            continue
        if stat.S_ISDIR(info.st_mode):
            yield from _walk(absolute)
            continue
        content_type = content_type_for(absolute)
        if content_type is None:
            yield Problem(absolute, UNSUPPORTED_FORMAT, "not an image file extension")
        else:
            yield _check_file(absolute, info, content_type)


def _walk(folder: str) -> Iterator[FoundImage | Problem]:
    try:
        with os.scandir(folder) as listing:
            entries = sorted(listing, key=lambda entry: entry.name)
    except OSError as error:
        yield Problem(folder, UNREADABLE, error.strerror or str(error))
        return
    for entry in entries:
        if entry.is_symlink():
            continue  # never followed: a link may point outside the folder or back into it
        if entry.is_dir(follow_symlinks=False):
            yield from _walk(entry.path)
            continue
        content_type = content_type_for(entry.name)
        if content_type is None:
            continue
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError as error:
            yield Problem(entry.path, UNREADABLE, error.strerror or str(error))
            continue
        yield _check_file(entry.path, info, content_type)


def _check_file(path: str, info: os.stat_result, content_type: str) -> FoundImage | Problem:
    if not stat.S_ISREG(info.st_mode):
        return Problem(path, NOT_A_FILE, "not a regular file (a device, pipe or socket)")
    if info.st_size == 0:
        return Problem(path, EMPTY_FILE, "the file is empty")
    # Open it now (never blocking, never reading) so an unreadable file is reported before a slot is made.
    try:
        os.close(os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)))
    except OSError as error:
        return Problem(path, UNREADABLE, error.strerror or str(error))
    return FoundImage(path=path, size=info.st_size, content_type=content_type, mtime_ns=info.st_mtime_ns)


def file_sha256(path: str, chunk: int = 1 << 20) -> str:
    """The content's SHA-256 (what tells a changed file from a touched one)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()
