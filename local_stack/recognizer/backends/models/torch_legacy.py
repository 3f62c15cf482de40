"""Read a PyTorch state dict saved in the legacy (pre-1.6, non-zip) format into numpy arrays, without torch.

The format: five pickles (magic number, protocol, system info, the object with persistent storage ids,
the list of storage keys), then each storage's raw bytes in that list's order, each behind an int64 count.
Only tensor storage types and OrderedDict are resolved; any other class in the pickle is refused.
"""

from __future__ import annotations

import collections
import pickle
import struct
from pathlib import Path
from typing import IO, Any

import numpy as np

_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
_STORAGE_DTYPES = {
    "FloatStorage": np.float32,
    "DoubleStorage": np.float64,
    "HalfStorage": np.float16,
    "LongStorage": np.int64,
    "IntStorage": np.int32,
    "ByteStorage": np.uint8,
}


class UnsupportedCheckpointError(ValueError):
    """The file is not a legacy PyTorch state dict of plain tensors."""


class _TensorRef:
    def __init__(self, storage_key: str, offset: int, shape: tuple[int, ...], stride: tuple[int, ...]) -> None:
        self.storage_key, self.offset, self.shape, self.stride = storage_key, offset, shape, stride


def _rebuild_tensor_v2(
    storage: tuple[Any, ...], offset: int, shape: tuple[int, ...], stride: tuple[int, ...], *_: Any
) -> _TensorRef:
    return _TensorRef(storage[2], offset, tuple(shape), tuple(stride))


class _StateDictUnpickler(pickle.Unpickler):
    def __init__(self, file: IO[bytes], storages: dict[str, tuple[str, int]]) -> None:
        super().__init__(file)
        self._storages = storages

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) == ("collections", "OrderedDict"):
            return collections.OrderedDict
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return _rebuild_tensor_v2
        if module == "torch" and name in _STORAGE_DTYPES:
            return name
        raise UnsupportedCheckpointError(f"refusing to load {module}.{name} from a checkpoint")

    def persistent_load(self, pid: Any) -> Any:
        kind, storage_type, key, _location, size = pid[:5]
        if kind != "storage" or storage_type not in _STORAGE_DTYPES:
            raise UnsupportedCheckpointError(f"unsupported storage {pid!r}")
        self._storages[key] = (storage_type, size)
        return pid


def load_state_dict(path: Path) -> dict[str, np.ndarray]:
    with path.open("rb") as file:
        # Every pickle goes through the restricted unpickler, headers included: no class outside the
        # allow-list can be named, whatever the file holds.
        storages: dict[str, tuple[str, int]] = {}
        if _StateDictUnpickler(file, storages).load() != _LEGACY_MAGIC:
            raise UnsupportedCheckpointError("not a legacy PyTorch checkpoint")
        _StateDictUnpickler(file, storages).load()  # protocol version
        _StateDictUnpickler(file, storages).load()  # system info
        state = _StateDictUnpickler(file, storages).load()
        keys = _StateDictUnpickler(file, storages).load()
        buffers: dict[str, np.ndarray] = {}
        for key in keys:
            storage_type, size = storages[key]
            (count,) = struct.unpack("<q", file.read(8))
            dtype = np.dtype(_STORAGE_DTYPES[storage_type])
            if count != size:
                raise UnsupportedCheckpointError(f"storage {key} holds {count} items, expected {size}")
            buffers[key] = np.frombuffer(file.read(count * dtype.itemsize), dtype=dtype)
    arrays: dict[str, np.ndarray] = {}
    for name, ref in state.items():
        if not isinstance(ref, _TensorRef):
            raise UnsupportedCheckpointError(f"{name} is not a tensor")
        flat = buffers[ref.storage_key]
        strides = tuple(step * flat.itemsize for step in ref.stride)
        view = np.lib.stride_tricks.as_strided(flat[ref.offset :], shape=ref.shape, strides=strides)
        arrays[name] = np.array(view)  # a contiguous copy, independent of the file buffer
    return arrays
