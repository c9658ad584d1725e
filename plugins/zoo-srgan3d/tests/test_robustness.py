"""What the demo weights add to the paper for other scans: the trilinear residual and the
intensity augmentation of training patches."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.nn import functional as F
from zoo_srgan3d.augment import augment_intensity

from zoo_core.errors import ConfigError


def test_residual_generator_starts_from_trilinear_upsampling(tiny_model):
    model = tiny_model("model.residual=trilinear").eval()
    last = model.generator.upsample[3]
    nn.init.zeros_(last.weight)
    nn.init.zeros_(last.bias)
    assert isinstance(model.generator.upsample[4], nn.Identity)  # no tanh on a residual
    low = torch.rand(2, 1, 6, 6, 6) * 1.6 - 0.8
    expected = F.interpolate(low, scale_factor=2, mode="trilinear", align_corners=False)
    assert torch.allclose(model.generate(condition=low), expected, atol=1e-6)


def test_residual_outputs_are_clamped_to_the_data_range(tiny_model):
    model = tiny_model("model.residual=trilinear").eval()
    nn.init.constant_(model.generator.upsample[3].bias, 5.0)
    out = model.generate(condition=torch.zeros(1, 1, 6, 6, 6))
    assert float(out.max()) == 1.0


def test_an_unknown_residual_is_named(tiny_model):
    with pytest.raises(ConfigError, match=r"model\.residual='cubic' is not one of none, trilinear"):
        tiny_model("model.residual=cubic")


def test_augmentation_keeps_the_range_and_is_seeded():
    patch = torch.linspace(-1, 1, 12**3).reshape(1, 1, 12, 12, 12).repeat(16, 1, 1, 1, 1)
    a = augment_intensity(patch, torch.Generator().manual_seed(1))
    b = augment_intensity(patch, torch.Generator().manual_seed(1))
    assert torch.equal(a, b)
    assert float(a.min()) >= -1.0 and float(a.max()) <= 1.0
    # every patch got its own curve: the 16 copies of one patch all differ
    flat = a.reshape(16, -1)
    assert len({round(float(v), 4) for v in flat.mean(1)}) == 16
    # some contrasts are inverted: their intensity falls along the ramp instead of rising
    ramp = patch[0].reshape(-1)
    slopes = [float(torch.corrcoef(torch.stack([row, ramp]))[0, 1]) for row in flat]
    assert min(slopes) < 0 < max(slopes)


def test_training_batches_are_augmented_but_inference_is_not(tiny_model):
    model = tiny_model("model.augment_intensity=true")
    target = torch.rand(4, 1, 12, 12, 12) * 2 - 1
    model.train()
    trained = model.prepare_batch({"target": target.clone()}, torch.Generator().manual_seed(0))
    assert not torch.equal(trained["target"], target)
    # the condition is the degraded augmented target: the pair stays consistent
    assert torch.allclose(trained["condition"], model.degrade(trained["target"]), atol=1e-6)
    model.eval()
    plain = model.prepare_batch({"target": target.clone()}, torch.Generator().manual_seed(0))
    assert torch.equal(plain["target"], target)
