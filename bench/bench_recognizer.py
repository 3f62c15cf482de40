"""Benchmark the local Rekognition endpoint: model load time, per-call latency per API, install size.

    .venv/bin/python bench/bench_recognizer.py [--repeats 7]

Prints a Markdown section for docs/benchmarks.md. Calls go through HTTP with a real boto3 client, as the
worker makes them. Each repetition re-encodes the photo at another JPEG quality so that the backend's
per-image cache never answers: every figure is a full model run.
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import subprocess
import sys
import tempfile
import time
import tomllib
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import boto3
from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from local_stack.recognizer import RecognizerConfig, start_recognizer  # noqa: E402

CALLS = {
    "DetectLabels": "detect_labels",
    "DetectFaces": "detect_faces",
    "DetectText": "detect_text",
    "DetectModerationLabels": "detect_moderation_labels",
}
LOAD_SCRIPT = """
import time
t0 = time.perf_counter()
from local_stack.recognizer.backends.models import ModelsBackend
t1 = time.perf_counter()
ModelsBackend().load()
t2 = time.perf_counter()
print(f"{t1 - t0:.3f} {t2 - t1:.3f}")
"""


def cpu_model() -> str:
    try:
        for line in subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout.splitlines():
            if line.startswith("Model name:"):
                return line.split(":", 1)[1].strip()
    except (OSError, subprocess.CalledProcessError):
        pass
    return platform.processor() or "unknown"


def photos() -> dict[str, Image.Image]:
    from skimage import data

    images = {
        name: Image.fromarray(getattr(data, name)()).convert("RGB")
        for name in ("chelsea", "coffee", "astronaut", "rocket")
    }
    sign = Image.new("RGB", (720, 340), "white")
    draw = ImageDraw.Draw(sign)
    font = ImageFont.load_default(size=72)
    draw.text((40, 50), "OPEN DAILY", fill="black", font=font)
    draw.text((40, 160), "FRESH COFFEE", fill="black", font=font)
    images["sign"] = sign
    return images


def encode(image: Image.Image, quality: int) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def load_times(cold: bool) -> tuple[float, float]:
    """(import seconds, load seconds) in a fresh process; cold = empty cache, so the ONNX conversion runs."""
    with tempfile.TemporaryDirectory() as cache:
        env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "HOME": cache}
        if cold:
            env["XDG_CACHE_HOME"] = cache
        else:
            env["HOME"] = str(Path.home())
        out = subprocess.run([sys.executable, "-c", LOAD_SCRIPT], capture_output=True, text=True, env=env, check=True)
    imported, loaded = out.stdout.split()
    return float(imported), float(loaded)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def latencies(backend: str, images: dict[str, Image.Image], repeats: int) -> dict[str, list[float]]:
    timings: dict[str, list[float]] = {operation: [] for operation in CALLS}
    with start_recognizer(RecognizerConfig(backend=backend)) as server:  # type: ignore[arg-type]
        client: Any = boto3.client(
            "rekognition",
            endpoint_url=server.url,
            region_name="us-east-1",
            aws_access_key_id="bench",
            aws_secret_access_key="bench",
        )
        client.detect_labels(Image={"Bytes": encode(images["coffee"], 50)})  # waits for the models to load
        for repeat in range(repeats):
            for image in images.values():
                for position, (operation, method) in enumerate(CALLS.items()):
                    # Bytes of their own per call: DetectLabels must not reuse the faces or text that
                    # DetectFaces/DetectText found for the same bytes (the backend caches those per image).
                    data = encode(image, 95 - 4 * repeat - position)
                    started = time.perf_counter()
                    getattr(client, method)(Image={"Bytes": data})
                    timings[operation].append(1000 * (time.perf_counter() - started))
    return timings


def models_install_megabytes() -> tuple[float, list[str]]:
    """Size on disk of the distributions that only the `models` group brings (per uv.lock), from RECORD."""
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    packages = {package["name"]: package for package in lock["package"]}
    project = packages["imgrec"]

    def closure(names: list[str]) -> set[str]:
        seen: set[str] = set()
        stack = list(names)
        while stack:
            name = stack.pop()
            if name in seen or name not in packages:
                continue
            seen.add(name)
            stack.extend(dependency["name"] for dependency in packages[name].get("dependencies", []))
        return seen

    base = closure([dependency["name"] for dependency in project["dependencies"]])
    base |= closure([dependency["name"] for dependency in project["dev-dependencies"]["local"]])
    only_models = closure([dependency["name"] for dependency in project["dev-dependencies"]["models"]]) - base
    total, installed = 0, []
    for name in only_models:
        try:
            files = metadata.distribution(name).files or []
        except metadata.PackageNotFoundError:
            continue  # a platform-specific dependency (e.g. colorama on Windows) not installed here
        installed.append(name)
        total += sum(file.size or 0 for file in files)
    return total / 1e6, sorted(installed)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    images = photos()
    load_before = os.getloadavg()[0]
    cold_import, cold_load = load_times(cold=True)
    warm_import, warm_load = load_times(cold=False)
    size_mb, only_models = models_install_megabytes()
    results = {backend: latencies(backend, images, args.repeats) for backend in ("models", "stub")}

    load_after = os.getloadavg()[0]
    print("## Local Rekognition\n")
    print(
        f"Measured {datetime.now(UTC):%Y-%m-%d} on {cpu_model()}, 2 cores, Python {platform.python_version()}, "
        f"with `bench/bench_recognizer.py --repeats {args.repeats}` (boto3 over HTTP on 127.0.0.1, one call at a time; "
        f"photos: {', '.join(images)}; every call a full model run, no cache hit; load average "
        f"{load_before:.1f} before, {load_after:.1f} after).\n"
    )
    print("| what | figure |\n| --- | --- |")
    print(
        f"| model load, first start (ONNX conversion of EfficientNet-Lite0 included) | {cold_load:.2f} s "
        f"(+ {cold_import:.2f} s imports) |"
    )
    print(f"| model load, later starts (converted model cached) | {warm_load:.2f} s (+ {warm_import:.2f} s imports) |")
    print(
        f"| install size of the `models` group (only what it alone brings) | {size_mb:.0f} MB "
        f"({len(only_models)} distributions) |\n"
    )
    print("| API | models p50 | models p95 | stub p50 | stub p95 |\n| --- | --- | --- | --- | --- |")
    for operation in CALLS:
        model_times, stub_times = results["models"][operation], results["stub"][operation]
        print(
            f"| {operation} | {percentile(model_times, 0.5):.0f} ms | {percentile(model_times, 0.95):.0f} ms | "
            f"{percentile(stub_times, 0.5):.1f} ms | {percentile(stub_times, 0.95):.1f} ms |"
        )
    print(f"\nDistributions only the models group brings: {', '.join(only_models)}.")


if __name__ == "__main__":
    main()
