from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest

from local_stack.recognizer.backends.models.efficientnet_onnx import weights_path
from local_stack.recognizer.backends.models.torch_legacy import (
    _LEGACY_MAGIC,
    UnsupportedCheckpointError,
    load_state_dict,
)


def test_the_shipped_weights_read_as_numpy_arrays() -> None:
    weights = load_state_dict(weights_path())
    assert weights["_conv_stem.weight"].shape == (32, 3, 3, 3)
    assert weights["_fc.weight"].shape == (1000, 1280)
    assert str(weights["_fc.bias"].dtype) == "float32"


def test_a_checkpoint_naming_other_classes_is_refused(tmp_path: Path) -> None:
    hostile = tmp_path / "hostile.pth"
    with hostile.open("wb") as file:
        for header in (_LEGACY_MAGIC, 1001, {"little_endian": True}):
            pickle.dump(header, file)
        pickle.dump({"w": os.system}, file)
    with pytest.raises(UnsupportedCheckpointError, match="refusing"):
        load_state_dict(hostile)


def test_a_file_without_the_legacy_magic_is_refused(tmp_path: Path) -> None:
    other = tmp_path / "other.pth"
    other.write_bytes(pickle.dumps(12345))
    with pytest.raises(UnsupportedCheckpointError):
        load_state_dict(other)


def test_a_hostile_header_is_refused_too(tmp_path: Path) -> None:
    hostile = tmp_path / "hostile-header.pth"
    hostile.write_bytes(pickle.dumps(os.system))
    with pytest.raises(UnsupportedCheckpointError, match="refusing"):
        load_state_dict(hostile)
