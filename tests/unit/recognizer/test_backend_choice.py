from __future__ import annotations

import logging
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from local_stack.recognizer.backends import MODEL_PACKAGES, BackendUnavailableError, select_backend

MISSING = (*MODEL_PACKAGES, "imgrec_no_such_model_package")


def test_auto_falls_back_to_the_stub_loudly_when_models_are_missing(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        backend = select_backend("auto", required=MISSING)
    assert backend.name == "stub"
    assert "RECOGNITION MODELS NOT INSTALLED" in caplog.text


def test_asking_for_models_that_are_missing_fails() -> None:
    with pytest.raises(BackendUnavailableError, match="imgrec_no_such_model_package"):
        select_backend("models", required=MISSING)


def test_the_stub_never_imports_numpy_or_the_models() -> None:
    script = textwrap.dedent(
        """
        import base64, json, sys
        from local_stack.recognizer.backends import select_backend
        from local_stack.recognizer.service import RecognitionService
        from local_stack.recognizer.s3_source import S3ImageSource
        from PIL import Image
        import io
        buffer = io.BytesIO()
        Image.new("RGB", (100, 100)).save(buffer, "PNG")
        service = RecognitionService(select_backend("stub"), S3ImageSource())
        body = json.dumps({"Image": {"Bytes": base64.b64encode(buffer.getvalue()).decode()}}).encode()
        for operation in ("DetectLabels", "DetectFaces", "DetectText", "DetectModerationLabels"):
            assert service.handle("RekognitionService." + operation, body)[0] == 200
        heavy = sorted({"numpy", "onnxruntime", "cv2", "rapidocr"} & set(sys.modules))
        print(",".join(heavy))
        """
    )
    root = Path(__file__).resolve().parents[3]
    result = subprocess.run([sys.executable, "-c", script], cwd=root, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""
