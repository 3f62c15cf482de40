"""The models backend loads and answers with no network at all (never a model hub, never a download)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

# Runs in a fresh process with an empty cache dir (so the ONNX conversion runs too) and every socket
# connection outside loopback refused; under `unshare -n` when the machine allows it.
SCRIPT = textwrap.dedent(
    """
    import io, socket
    from PIL import Image, ImageDraw

    real_connect = socket.socket.connect

    def loopback_only(self, address):
        host = address[0] if isinstance(address, tuple) else address
        if host not in ("127.0.0.1", "::1", "localhost") and not str(host).startswith("/"):
            raise OSError(f"network blocked in this test: {address!r}")
        return real_connect(self, address)

    socket.socket.connect = loopback_only

    from local_stack.recognizer.backends.models import ModelsBackend
    from local_stack.recognizer.image_input import load_image

    picture = Image.new("RGB", (320, 240), "white")
    ImageDraw.Draw(picture).ellipse((80, 40, 240, 200), fill=(200, 120, 40))
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG")
    image = load_image(buffer.getvalue())
    backend = ModelsBackend()
    backend.load()
    print("labels", len(backend.labels(image)))
    print("faces", len(backend.faces(image)))
    print("text", len(backend.text(image)))
    print("moderation", len(backend.moderation(image)))
    """
)


@pytest.mark.slow
def test_models_load_and_answer_without_network(tmp_path: Path) -> None:
    command = [sys.executable, "-c", SCRIPT]
    unshare = shutil.which("unshare")
    if unshare and subprocess.run([unshare, "-n", "true"], capture_output=True, check=False).returncode == 0:
        command = [unshare, "-n", *command]
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "PYTHONPATH": str(Path(__file__).resolve().parents[3]),
    }
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=240, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    assert [line.split()[0] for line in result.stdout.splitlines()] == [
        "labels",
        "faces",
        "text",
        "moderation",
    ]
    assert list((tmp_path / "cache" / "imgrec" / "models").glob("efficientnet-lite0-*.onnx"))
