"""Benchmark the normalizer against a naive Pillow path on generated images; writes docs/benchmarks.md.

Each (image, implementation) runs in a fresh subprocess so its peak RSS is its own. The naive baseline is
what most samples do: full decode, ImageOps.exif_transpose, LANCZOS resize to the same long side, save
JPEG q90. Run: `.venv/bin/python bench/bench_normalize.py [--no-write] [--no-worst]`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from PIL import Image, ImageOps  # noqa: E402

from tests.fixtures.corpus import encode, exif_with_orientation, photo_like  # noqa: E402
from worker.normalize import NormalizeLimits, normalize  # noqa: E402

DOC = ROOT / "docs" / "benchmarks.md"
HEADING = "## Normalizer"
REPEATS = 5

# name -> (description, max_edge); the product's default long side first, 4096 for comparison.
DEFAULT_EDGE = NormalizeLimits().max_edge
CASES: dict[str, tuple[str, int]] = {
    "jpeg_24mp_exif6": (
        f"24 MP photo-like JPEG 6000x4000, EXIF orientation 6 -> {DEFAULT_EDGE} (default)",
        DEFAULT_EDGE,
    ),
    "jpeg_24mp_exif6@4096": ("same JPEG, max_edge=4096 (1.46x shrink: no DCT scaling)", 4096),
    "heic_12mp": (f"12 MP HEIC 4032x3024 -> {DEFAULT_EDGE}", DEFAULT_EDGE),
    "png_rgba_12mp": (f"4000x3000 RGBA PNG -> flattened JPEG, {DEFAULT_EDGE}", DEFAULT_EDGE),
    "jpeg_2mp_compliant": ("compliant 2 MP JPEG 1920x1080 (pass-through)", DEFAULT_EDGE),
}
WORST_CASES: dict[str, tuple[str, int]] = {
    "worst_png_rgba_100mp": (f"worst admitted: 10000x10000 RGBA PNG (100 MP) -> {DEFAULT_EDGE}", DEFAULT_EDGE),
    "worst_jpeg_100mp": (f"worst admitted: 12500x8000 JPEG (100 MP) -> {DEFAULT_EDGE}", DEFAULT_EDGE),
    "worst_png_rgba_100mp@10000": ("10000x10000 RGBA PNG, max_edge=10000 (no resize)", 10_000),
}


def _status_mb(field: str) -> float:
    # VmHWM (not ru_maxrss, which Linux carries over from the parent across exec) is this process's own peak.
    match = re.search(rf"{field}:\s+(\d+) kB", Path("/proc/self/status").read_text())
    return int(match.group(1)) / 1024 if match else 0.0


def generate(directory: Path, worst: bool) -> None:
    jpeg_24 = photo_like((6000, 4000))
    (directory / "jpeg_24mp_exif6").write_bytes(encode(jpeg_24, "JPEG", quality=90, exif=exif_with_orientation(6)))
    del jpeg_24
    import pillow_heif

    heic_source = photo_like((4032, 3024), seed=3)
    heif = pillow_heif.from_bytes(mode="RGB", size=heic_source.size, data=heic_source.tobytes())
    buffer = io.BytesIO()
    heif.save(buffer, quality=80)
    (directory / "heic_12mp").write_bytes(buffer.getvalue())
    rgba = photo_like((4000, 3000), seed=5).convert("RGBA")
    rgba.putalpha(Image.linear_gradient("L").resize(rgba.size))
    (directory / "png_rgba_12mp").write_bytes(encode(rgba, "PNG", compress_level=6))
    del rgba
    (directory / "jpeg_2mp_compliant").write_bytes(encode(photo_like((1920, 1080), seed=9), "JPEG", quality=88))
    if worst:
        # Content does not change decode memory; a cheap gradient keeps generation fast.
        big = Image.linear_gradient("L").resize((10_000, 10_000))
        rgba_big = Image.merge("RGBA", (big, big.transpose(Image.Transpose.ROTATE_90), big, big))
        (directory / "worst_png_rgba_100mp").write_bytes(encode(rgba_big, "PNG", compress_level=1))
        del rgba_big
        wide = Image.linear_gradient("L").resize((12_500, 8_000))
        (directory / "worst_jpeg_100mp").write_bytes(encode(Image.merge("RGB", (wide, wide, wide)), "JPEG", quality=85))


def naive(data: bytes, max_edge: int) -> bytes:
    import pillow_heif

    pillow_heif.register_heif_opener()
    image = Image.open(io.BytesIO(data))
    image.load()
    image = ImageOps.exif_transpose(image).convert("RGB")
    scale = min(1.0, max_edge / max(image.size))
    if scale < 1.0:
        image = image.resize((round(image.width * scale), round(image.height * scale)), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def _run(data: bytes, implementation: str, limits: NormalizeLimits) -> str:
    if implementation == "naive":
        naive(data, limits.max_edge)
        return ""
    result = normalize(data, limits)
    return (
        f"{result.width}x{result.height}, q={result.record.jpeg_quality}, "
        f"passthrough={result.record.passthrough}, draft=1/{result.record.draft_denominator}"
    )


def child_time(path: Path, max_edge: int, repeats: int) -> dict[str, object]:
    """Interleave ours and naive so both see the same machine load; keep the best of `repeats`."""
    data = path.read_bytes()
    limits = NormalizeLimits(max_edge=max_edge)
    timings: dict[str, list[float]] = {"ours": [], "naive": []}
    detail = ""
    for _ in range(repeats):
        for implementation in ("ours", "naive"):
            start = time.perf_counter()
            detail = _run(data, implementation, limits) or detail
            timings[implementation].append((time.perf_counter() - start) * 1000)
    return {
        "ours_ms": min(timings["ours"]),
        "naive_ms": min(timings["naive"]),
        "ours_median_ms": statistics.median(timings["ours"]),
        "naive_median_ms": statistics.median(timings["naive"]),
        "detail": detail,
    }


def child_memory(path: Path, implementation: str, max_edge: int) -> dict[str, object]:
    data = path.read_bytes()
    baseline = _status_mb("VmRSS")
    _run(data, implementation, NormalizeLimits(max_edge=max_edge))
    peak = _status_mb("VmHWM")
    return {"peak_mb": peak, "delta_mb": peak - baseline}


def _child(*arguments: str) -> dict[str, object]:
    completed = subprocess.run(
        [sys.executable, __file__, "--child", *arguments], capture_output=True, text=True, check=True
    )
    result: dict[str, object] = json.loads(completed.stdout.strip().splitlines()[-1])
    return result


def measure(directory: Path, name: str, max_edge: int, repeats: int) -> dict[str, object]:
    path = str(directory / name.split("@", maxsplit=1)[0])
    row = _child("time", path, str(max_edge), str(repeats))
    for implementation in ("ours", "naive"):
        memory = _child("memory", path, implementation, str(max_edge))
        row[f"{implementation}_peak_mb"] = memory["peak_mb"]
        row[f"{implementation}_delta_mb"] = memory["delta_mb"]
    return row


def machine() -> str:
    model = "unknown CPU"
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        found = re.search(r"Model name:\s+(.+)", lscpu)
        cores = re.search(r"^CPU\(s\):\s+(\d+)", lscpu, re.MULTILINE)
        model = f"{found.group(1).strip() if found else model}, {cores.group(1) if cores else '?'} cores"
    except (OSError, subprocess.CalledProcessError):
        pass
    import PIL

    return f"{model}; Python {platform.python_version()}, Pillow {PIL.__version__}"


def _line(row: dict[str, object]) -> str:
    r = {key: value for key, value in row.items()}
    ratio = float(r["naive_ms"]) / float(r["ours_ms"])  # type: ignore[arg-type]
    return (
        f"| {r['description']} | {r['ours_ms']:.1f} | {r['naive_ms']:.1f} | {ratio:.1f}x "
        f"| {r['ours_peak_mb']:.0f} / {r['ours_delta_mb']:.0f} | {r['naive_peak_mb']:.0f} / {r['naive_delta_mb']:.0f} "
        f"| {r['detail']} |"
    )


NOTES = [
    "",
    "- The ≥ 3x target over naive holds where libjpeg's DCT scaling applies, i.e. when the fit shrinks a JPEG",
    f"  2x or more: the 24 MP JPEG at the default `max_edge={DEFAULT_EDGE}`, any 100 MP JPEG. At `max_edge=4096` a",
    "  6000 px JPEG shrinks only 1.46x: it must be decoded in full, and the gain comes only from BICUBIC after a",
    "  box reduce instead of LANCZOS and from transposing the small image.",
    "- The compliant JPEG is passed through byte for byte; its time is the 1/8-scale decode that proves the",
    "  body is not truncated.",
    "- On RGBA PNGs naive keeps up only because it is wrong: `convert('RGB')` drops alpha, no flattening.",
    "  HEIC time is libheif's HEVC decode in both columns.",
    "- Memory: the 100 MP RGBA PNG is the worst image the default cap admits (decoded: 400 MB). Strip-wise",
    "  shrinking and freeing the full-size pixels before the final resample avoid a second full-size copy",
    "  (naive holds two). Without a resize (`max_edge=10000`), decoded RGBA and flattened RGB are both full size.",
]


def render(rows: list[dict[str, object]], load: str) -> str:
    lines = [
        HEADING,
        "",
        f"Measured {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC by `bench/bench_normalize.py` on {machine()}",
        f"(load average while measuring: {load}; the machine was shared, so absolute times are pessimistic).",
        f"Time: best of {REPEATS} runs (worst cases: 1), ours and naive interleaved in one process so both see",
        "the same load. Memory: one run per image and implementation in a fresh process; *peak* is its VmHWM,",
        "*Δ* is peak minus the RSS after imports and reading the file (what one normalization costs).",
        "Naive = full decode, `ImageOps.exif_transpose`, LANCZOS resize to the same long side, JPEG q90.",
        "",
        "| image | ours ms | naive ms | speed-up | ours peak / Δ MB | naive peak / Δ MB | our output |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    lines.extend(_line(row) for row in rows)
    lines.extend(NOTES)
    return "\n".join(lines) + "\n"


def write_section(section: str) -> None:
    text = DOC.read_text() if DOC.exists() else "# Benchmarks\n"
    pattern = re.compile(rf"^{re.escape(HEADING)}\n.*?(?=^## |\Z)", re.MULTILINE | re.DOTALL)
    # Replace only our own section; other sections belong to other benchmarks.
    replaced = pattern.sub(lambda _: section + "\n", text)
    text = replaced if replaced != text or pattern.search(text) else text.rstrip("\n") + "\n\n" + section
    # Keep a blank line before our heading whatever the section above ends with.
    text = re.sub(rf"\n*({re.escape(HEADING)}\n)", r"\n\n\1", text, count=1)
    DOC.parent.mkdir(parents=True, exist_ok=True)
    DOC.write_text(text.rstrip("\n") + "\n")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--no-write", action="store_true", help="print only, leave docs/benchmarks.md alone")
    parser.add_argument("--no-worst", action="store_true", help="skip the 100 MP worst cases (slow)")
    args = parser.parse_args()
    cases = dict(CASES) if args.no_worst else {**CASES, **WORST_CASES}
    rows: list[dict[str, object]] = []
    loads = []
    with tempfile.TemporaryDirectory(prefix="bench-normalize-") as temporary:
        directory = Path(temporary)
        generate(directory, worst=not args.no_worst)
        for name, (description, max_edge) in cases.items():
            loads.append(Path("/proc/loadavg").read_text().split()[0])
            repeats = 1 if name.startswith("worst") else REPEATS
            row = {"name": name, "description": description, **measure(directory, name, max_edge, repeats)}
            rows.append(row)
            print(_line(row), flush=True)
    section = render(rows, f"{min(loads)}..{max(loads)}")
    print(section)
    if not args.no_write:
        write_section(section)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        mode, path, *rest = sys.argv[2:]
        if mode == "time":
            outcome = child_time(Path(path), int(rest[0]), int(rest[1]))
        else:
            outcome = child_memory(Path(path), rest[0], int(rest[1]))
        print(json.dumps(outcome))
    else:
        main()
