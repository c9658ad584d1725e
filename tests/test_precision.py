"""train.precision and train.channels_last: what each name resolves to, and a bf16 step."""

from __future__ import annotations

import pytest
import torch

from zoo_core import precision
from zoo_core.errors import ConfigError


def test_names_resolve_to_autocast_dtypes_on_cpu():
    assert precision.resolve("fp32", "cpu") is None
    assert precision.resolve("bf16", "cpu") is torch.bfloat16
    expected = torch.bfloat16 if precision.cpu_has_fast_bf16() else None
    assert precision.resolve("auto", "cpu") is expected


def test_unknown_or_impossible_precisions_are_named():
    with pytest.raises(ConfigError, match="'fp8' is not one of auto, fp32, bf16, fp16"):
        precision.resolve("fp8", "cpu")
    with pytest.raises(ConfigError, match="fp16 needs a CUDA GPU"):
        precision.resolve("fp16", "cpu")


def test_autocast_runs_convolutions_in_bf16_and_fp32_is_untouched():
    conv = torch.nn.Conv3d(2, 4, 3)
    x = torch.randn(1, 2, 6, 6, 6)
    with precision.autocast("cpu", torch.bfloat16):
        assert conv(x).dtype == torch.bfloat16
    with precision.autocast("cpu", None):
        assert conv(x).dtype == torch.float32


def test_channels_last_keeps_values_and_converts_2d_and_3d_weights():
    net = torch.nn.ModuleDict({"a": torch.nn.Conv2d(3, 8, 3), "b": torch.nn.Conv3d(3, 8, 3)})
    before = {k: v.clone() for k, v in net.state_dict().items()}
    precision.to_channels_last(net)
    assert net["a"].weight.is_contiguous(memory_format=torch.channels_last)
    assert net["b"].weight.is_contiguous(memory_format=torch.channels_last_3d)
    assert all(torch.equal(before[k], v) for k, v in net.state_dict().items())
