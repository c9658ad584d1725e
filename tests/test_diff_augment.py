"""Differentiable augmentation of what the critic sees (train.diff_augment)."""

from __future__ import annotations

import pytest
import torch
from helpers import tiny_gan
from helpers.tiny_gan import ConstantImages, config

from zoo_core.errors import ConfigError
from zoo_core.training import GANTrainer
from zoo_core.training.diff_augment import check_policies, cutout, diff_augment, flip, translate


def _square(n: int = 64) -> torch.Tensor:
    """(n, 1, 16, 16): background -1 with a bright 4x4 square in the middle."""
    x = torch.full((n, 1, 16, 16), -1.0)
    x[:, :, 6:10, 6:10] = 1.0
    return x


def test_translation_moves_the_content_fills_with_background_and_passes_gradients():
    x = _square().requires_grad_()
    g = torch.Generator().manual_seed(0)
    moved = translate(x, background=-1.0, generator=g)
    assert moved.shape == x.shape
    # Every item keeps its whole square (shifts of at most 2 px cannot push it out) ...
    assert torch.equal((moved > 0).sum((1, 2, 3)), torch.full((64,), 16))
    # ... at several places, and what came in from outside is background.
    centres = {tuple(torch.nonzero(m[0] > 0).float().mean(0).tolist()) for m in moved}
    assert len(centres) > 5
    assert set(moved.detach().unique().tolist()) == {-1.0, 1.0}
    moved.sum().backward()
    assert x.grad.abs().sum() > 0


def test_cutout_blanks_half_of_each_side_and_flip_mirrors_about_half_the_items():
    x = torch.ones(32, 2, 16, 16)
    blanked = cutout(x, background=-1.0, generator=torch.Generator().manual_seed(0))
    assert torch.equal((blanked == -1).sum((2, 3)), torch.full((32, 2), 64))  # 8x8 per channel
    ramp = torch.arange(16.0).expand(32, 1, 16, 16)
    mirrored = flip(ramp, generator=torch.Generator().manual_seed(0))
    flipped = (mirrored[:, 0, 0, 0] == 15).sum().item()
    assert 8 <= flipped <= 24
    assert torch.equal(mirrored[mirrored[:, 0, 0, 0] == 15], ramp[:flipped].flip(-1))


def test_unknown_policies_are_named():
    assert check_policies(["flip", "translation"]) == ["flip", "translation"]
    with pytest.raises(ConfigError, match=r"unknown 'rotate'; choose from translation, cutout"):
        check_policies(["rotate"])
    assert torch.equal(diff_augment(_square(2), []), _square(2))


def test_the_critic_sees_augmented_real_images_and_training_still_runs(tmp_path, monkeypatch):
    cfg = config("train.steps=2", "train.diff_augment=[translation,cutout]")
    model = tiny_gan.build(cfg.model)
    shown: list[torch.Tensor] = []
    original = model.critic

    def critic(images, batch):
        shown.append(images.detach().clone())
        return original(images, batch)

    monkeypatch.setattr(model, "critic", critic)
    trainer = GANTrainer(model, cfg, ConstantImages(), tmp_path, "t", progress=False)
    trainer.fit()
    # The data hold values near 0.5 only; cutout blanks a 4x4 box of every image the critic
    # sees (real and generated) to the background, -1.
    assert len(shown) >= 6  # 2 steps: real, fake (critic); fake (generator)
    assert all(((s == -1).flatten(1).sum(1) >= 16).all() for s in shown)


def test_an_image_conditioned_model_is_refused_and_a_class_conditioned_one_is_not(tmp_path):
    cfg = config("train.diff_augment=[flip]")
    model = tiny_gan.build(cfg.model)
    model.conditional = True
    with pytest.raises(ConfigError, match=r"image-conditioned critic would see augmented"):
        GANTrainer(model, cfg, ConstantImages(), tmp_path, "t", progress=False)
    model.condition_kind = "class"
    assert GANTrainer(model, cfg, ConstantImages(), tmp_path, "t", progress=False).diff_augment
