"""Where the detector runs: ONNX Runtime execution providers by a short name.

CPU is the default and always works. `cuda`, `tensorrt` and `openvino` need an ONNX Runtime
build that has them (`onnxruntime-gpu` on an NVIDIA machine, `onnxruntime-openvino` on an
Intel CPU), installed in place of the `onnxruntime` wheel; nothing in Metrica requires
one. Each chain ends with the CPU provider so that an operator the accelerator lacks still
runs, and a name the installed build lacks is refused up front, naming what it has (ONNX
Runtime itself would quietly fall back to the CPU).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

CPU = "CPUExecutionProvider"
PROVIDER_CHAINS: Mapping[str, tuple[str, ...]] = {
    "cpu": (CPU,),
    "cuda": ("CUDAExecutionProvider", CPU),
    "tensorrt": ("TensorrtExecutionProvider", "CUDAExecutionProvider", CPU),
    "openvino": ("OpenVINOExecutionProvider", CPU),
}
DEFAULT_PROVIDER = "cpu"
# ONNX Runtime's `providers` argument: names, or (name, options) pairs.
Providers = Sequence[str | tuple[str, dict[str, Any]]]


class ProviderError(ValueError):
    """An execution provider that is unknown or not in this ONNX Runtime build."""


def provider_chain(name: str, available: Sequence[str]) -> tuple[str, ...]:
    """The providers to hand ONNX Runtime for `name`, given the build's `available` ones."""
    chain = PROVIDER_CHAINS.get(name.strip().lower())
    if chain is None:
        raise ProviderError(
            f"unknown execution provider {name!r}: choose one of {', '.join(PROVIDER_CHAINS)}"
        )
    if chain[0] not in available:
        have = ", ".join(available) or "none"
        raise ProviderError(
            f"execution provider {name!r} needs {chain[0]}, which this ONNX Runtime build "
            f"lacks (it has: {have}); install onnxruntime-gpu (CUDA, TensorRT) or "
            "onnxruntime-openvino in place of onnxruntime"
        )
    return chain


def provider_options(chain: Sequence[str]) -> Providers:
    """`chain` as ONNX Runtime's `providers` argument. TensorRT builds an engine per input
    shape, minutes the first time: cached on disk (fp16, the precision people detection
    needs), under $METRICA_TRT_CACHE or ~/.cache/metrica/tensorrt."""
    cache = Path(os.environ.get("METRICA_TRT_CACHE", Path.home() / ".cache/metrica/tensorrt"))
    options: list[str | tuple[str, dict[str, Any]]] = []
    for name in chain:
        if name == "TensorrtExecutionProvider":
            options.append(
                (
                    name,
                    {
                        "trt_fp16_enable": True,
                        "trt_engine_cache_enable": True,
                        "trt_engine_cache_path": str(cache),
                    },
                )
            )
        else:
            options.append(name)
    return options
