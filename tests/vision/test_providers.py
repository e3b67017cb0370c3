"""Execution providers by name: CPU by default, a GPU only when asked and present."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest

from metrica.vision.detector import OnnxDetector
from metrica.vision.providers import (
    CPU,
    PROVIDER_CHAINS,
    ProviderError,
    provider_chain,
    provider_options,
)
from tests.support.data import YOLOX_NANO

GPU_BUILD = ["TensorrtExecutionProvider", "CUDAExecutionProvider", CPU]


@pytest.mark.parametrize("name", sorted(PROVIDER_CHAINS))
def test_every_chain_ends_on_the_cpu(name: str) -> None:
    available = [*GPU_BUILD, "OpenVINOExecutionProvider"]
    chain = provider_chain(name, available)
    assert chain[-1] == CPU
    assert set(chain) <= set(available)


def test_names_are_read_loosely_and_unknown_ones_refused() -> None:
    assert provider_chain(" CUDA ", GPU_BUILD) == ("CUDAExecutionProvider", CPU)
    with pytest.raises(ProviderError, match="choose one of cpu, cuda, tensorrt, openvino"):
        provider_chain("gpu", GPU_BUILD)


def test_a_provider_the_build_lacks_is_refused_naming_what_it_has() -> None:
    with pytest.raises(ProviderError) as refused:
        provider_chain("tensorrt", [CPU])
    assert "TensorrtExecutionProvider" in str(refused.value)
    assert "it has: CPUExecutionProvider" in str(refused.value)


def test_tensorrt_caches_its_engines_where_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("METRICA_TRT_CACHE", str(tmp_path))
    options = provider_options(provider_chain("tensorrt", GPU_BUILD))
    assert options[1:] == ["CUDAExecutionProvider", CPU]
    name, settings = options[0]
    assert name == "TensorrtExecutionProvider"
    assert settings["trt_engine_cache_path"] == str(tmp_path)
    assert settings["trt_engine_cache_enable"] is True


def test_the_default_cpu_chain_runs_the_real_detector() -> None:
    chain = provider_chain("cpu", ort.get_available_providers())
    detector = OnnxDetector(YOLOX_NANO, providers=provider_options(chain))
    found = detector.detect(np.full((360, 640, 3), 114, np.uint8))
    assert len(found) == 0
