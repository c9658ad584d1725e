"""The latent encoder learns to recover z from G(z); encode() and the t-SNE plot."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from zoo_pggan.encoder import encode, read_labels, train_encoder, tsne_plot

from zoo_core.errors import DataError


def test_encoder_mse_falls_during_a_short_run(tiny_model):
    # A small latent so that a CPU-sized run gets well below the MSE of predicting 0 (= 1).
    model = tiny_model(extra=["model.max_resolution=8", "model.filters=16", "model.latent_dim=8"])
    before = {k: v.clone() for k, v in model.generator.state_dict().items()}
    opt_cfg = model.config.train.optimizer_e
    losses = train_encoder(model, steps=150, batch_size=16, optimizer_cfg=opt_cfg, seed=0)
    assert len(losses) == 150
    first, last = np.mean(losses[:15]), np.mean(losses[-20:])
    assert last < 0.9 and last < 0.8 * first, (first, last)
    # The generator is frozen while the encoder learns, and trainable again afterwards.
    assert all(torch.equal(before[k], v) for k, v in model.generator.state_dict().items())
    assert all(p.requires_grad for p in model.generator.parameters())


def test_encode_pads_missing_segmentation_and_checks_channels(tiny_model):
    model = tiny_model()
    images = torch.rand(5, 1, 16, 16) * 2 - 1  # T1 only: GM/WM filled with background
    codes = encode(model, images, batch_size=2)
    assert codes.shape == (5, 128)
    full = torch.cat([images, -torch.ones(5, 2, 16, 16)], dim=1)
    assert torch.allclose(encode(model, full), codes, atol=1e-5)  # batch-independent codes
    with pytest.raises(DataError, match="channels"):
        encode(model, torch.rand(2, 2, 16, 16))


def test_tsne_plot_and_labels(tmp_path):
    (tmp_path / "labels.csv").write_text("name,label\na,left\nb,right\n")
    assert read_labels(tmp_path / "labels.csv") == {"a": "left", "b": "right"}
    (tmp_path / "bad.csv").write_text("a,left\n")
    with pytest.raises(DataError, match="header"):
        read_labels(tmp_path / "bad.csv")
    rng = np.random.default_rng(0)
    latents = np.concatenate([rng.normal(0, 1, (10, 128)), rng.normal(6, 1, (10, 128))])
    points = tsne_plot(latents, ["left"] * 10 + ["right"] * 10, tmp_path / "tsne.png")
    assert points.shape == (20, 2) and (tmp_path / "tsne.png").stat().st_size > 1000
    # Two well-separated clusters stay separated in 2-D.
    a, b = points[:10].mean(0), points[10:].mean(0)
    spread = max(points[:10].std(axis=0).max(), points[10:].std(axis=0).max())
    assert np.linalg.norm(a - b) > 3 * spread


@pytest.mark.parametrize("package", ["matplotlib", "sklearn"])
def test_tsne_plot_without_its_packages_names_the_extra(tmp_path, monkeypatch, package):
    import sys

    from zoo_core.errors import MissingExtraError

    for name in [m for m in sys.modules if m == package or m.startswith(package + ".")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, package, None)  # `import package` now fails
    latents = np.random.default_rng(0).normal(size=(6, 8))
    with pytest.raises(
        MissingExtraError, match=rf"needs {package}.*pip install 'zoo-pggan\[data\]'"
    ):
        tsne_plot(latents, ["a"] * 6, tmp_path / "tsne.png")
    assert not (tmp_path / "tsne.png").exists()
