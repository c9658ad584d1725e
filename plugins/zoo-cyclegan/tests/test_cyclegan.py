"""CycleGAN: conformance, cycle/identity/gradient-consistency terms by hand, the trainer,
whole-volume translation, unpaired data, and the shared layers it is built from."""

import pickle

import nibabel as nib
import numpy as np
import pytest
import torch
from torch import nn

from zoo_core.testing import check_plugin, tiny_config, tiny_model

IDS = ["hiasa-cyclegan-mrct", "zhu-cyclegan-mrct"]
ZHU = "zhu-cyclegan-mrct"


class Shift(nn.Module):
    def __init__(self, by: float):
        super().__init__()
        self.by = by

    def forward(self, x):
        return x + self.by


def test_plugin_passes_the_conformance_kit():
    assert sorted(check_plugin("cyclegan")) == IDS


def test_paper_configuration():
    cfg = tiny_config(ZHU, tiny=False)
    # the paper's generator for 128x128 training images: 6 residual blocks (9 at 256x256), at
    # half its width so that the shipped pair fits the zoo's 20 MB a file
    assert (cfg.model.n_blocks, cfg.model.g_filters, cfg.model.resolution) == (6, 32, 128)
    assert cfg.model.d_filters == 64
    assert cfg.train.adversarial == "lsgan" and cfg.train.loss_weights["cycle"] == 10.0
    assert (cfg.train.identity_weight, cfg.train.pool_size) == (0.5, 50)
    assert tiny_config("hiasa-cyclegan-mrct", tiny=False).train.gradient_consistency_weight > 0
    model = tiny_model(ZHU, tiny=False)
    rf = model.discriminator.b.receptive_field
    assert rf == 70 and len(model.generator.ab.net) == 4 + 2 * 3 + 6 + 2 * 3 + 3


def test_cycle_and_identity_terms_by_hand():
    model = tiny_model(ZHU)
    model.generator.ab, model.generator.ba = Shift(1.0), Shift(-0.5)
    a, b = torch.zeros(2, 1, 8, 8), torch.ones(2, 1, 8, 8)
    terms = model.cycle_terms({"condition": a, "target": b}, model.generator.ab(a))
    # rec_a = ba(ab(0)) = 0.5 -> |0.5 - 0|; rec_b = ab(ba(1)) = 1.5 -> |1.5 - 1|
    assert torch.isclose(terms["cycle"], torch.tensor(1.0))
    # |ab(b) - b| + |ba(a) - a| = 1 + 0.5
    assert torch.isclose(terms["identity"], torch.tensor(1.5))
    assert torch.equal(terms["fake_a"], torch.full((2, 1, 8, 8), 0.5))


def test_gradient_consistency_by_hand():
    from zoo_cyclegan.losses import gradient_consistency, gradient_correlation

    gc = gradient_consistency()
    x = torch.rand(3, 1, 16, 16)
    assert torch.allclose(gradient_correlation(x, 2 * x + 3), torch.ones(3), atol=1e-5)
    assert torch.isclose(gc(x, 2 * x + 3), torch.tensor(0.0), atol=1e-5)
    assert torch.isclose(gc(x, -x), torch.tensor(2.0), atol=1e-5)
    # a horizontal ramp against a vertical ramp: d/dx correlates with nothing (0), d/dy likewise
    ramp = torch.arange(16.0).repeat(16, 1)[None, None]
    assert torch.isclose(gc(ramp, ramp.transpose(2, 3)), torch.tensor(1.0), atol=1e-5)


def test_trainer_moves_all_four_networks_and_fills_the_pools(tmp_path):
    """The kit checks that training moves the generator and the discriminator; CycleGAN's
    are two networks each, and every one of the four must learn."""
    from zoo_cyclegan.trainer import CycleGANTrainer

    from zoo_core.plugin_api import GANTrainer

    cfg = tiny_config(ZHU, "train.batch_size=2", "train.steps=3", "train.log_every=1",
                      "train.pool_size=4", "train.gradient_consistency_weight=0.5")  # fmt: skip
    model = tiny_model(ZHU)
    torch.manual_seed(0)
    data = [{"source": torch.rand(1, 32, 32) * 2 - 1, "target": torch.rand(1, 32, 32) - 1}
            for _ in range(8)]  # fmt: skip
    nets = {"G_ab": model.generator.ab, "G_ba": model.generator.ba,
            "D_a": model.discriminator.a, "D_b": model.discriminator.b}  # fmt: skip
    before = {k: [p.detach().clone() for p in v.parameters()] for k, v in nets.items()}
    trainer = CycleGANTrainer(model, cfg, data, tmp_path, ZHU, progress=False)
    assert isinstance(trainer, GANTrainer) and model.gc_weight == 0.5
    trainer.fit()
    rows = trainer.history.rows
    assert {"d_a", "d_b", "g_ab", "g_ba", "cycle", "identity", "gc"} <= set(rows[0])
    for name, net in nets.items():
        moved = any(
            not torch.equal(a, b) for a, b in zip(before[name], net.parameters(), strict=True)
        )
        assert moved, f"{name} did not change"
    assert len(trainer.pool_a) == 4 and len(trainer.pool_b) == 4


def test_trainer_refuses_a_non_least_squares_loss(tmp_path):
    from zoo_cyclegan.trainer import CycleGANTrainer

    from zoo_core.errors import ConfigError

    cfg = tiny_config(ZHU, "train.adversarial=bce")
    with pytest.raises(ConfigError, match="lsgan"):
        CycleGANTrainer(tiny_model(ZHU), cfg, [], tmp_path, ZHU, progress=False)


def test_translate_volume_slice_by_slice_keeps_the_geometry():
    from zoo_cyclegan import translate_volume

    model = tiny_model(ZHU)
    volume = torch.rand(10, 13, 5) * 2 - 1  # sizes that are no multiple of 4
    out = translate_volume(model, volume, axis=2, batch_size=2)
    assert out.shape == (1, 10, 13, 5)
    one = model.generate(condition=volume[None, None, :, :, 3].float())
    assert torch.allclose(out[:, :, :, 3], one[0], atol=1e-5)
    # a 5D condition (what `zoo generate --condition volume.nii.gz` passes) goes through the
    # core's slice-by-slice inference, which pads 13 to 16 (size_multiple) and crops back
    import zoo_core as zoo

    assert model.size_multiple == 4
    assert torch.allclose(zoo.generate(model, condition=volume[None, None])[0], out, atol=1e-5)


def test_outputs_are_declared_in_hu_when_they_are_ct():
    from zoo_core.data.intensity import CTWindow
    from zoo_core.generation import output_intensity

    model = tiny_model(ZHU, "data.hu_window=[-1024,2000]")
    assert output_intensity(model) == CTWindow(-1024.0, 2000.0)  # a2b: domain B is ct
    model.direction = "b2a"  # MR outputs have no fixed physical scale: the model's values
    assert output_intensity(model).kind == "none"


def test_unpaired_slices_scale_each_domain_and_pair_every_combination(tmp_path):
    from zoo_cyclegan.data import unpaired_slices

    mr = np.zeros((8, 8, 4), np.float32)
    mr[2:6, 2:6] = np.linspace(100, 800, 16, dtype=np.float32).reshape(4, 4)[..., None]
    ct = np.full((8, 8, 3), -1000.0, np.float32)
    ct[2:6, 2:6] = 400.0
    for folder, name, data in (("domain_a", "mr", mr), ("domain_b", "ct", ct)):
        (tmp_path / folder).mkdir()
        nib.save(nib.Nifti1Image(data, np.eye(4)), tmp_path / folder / f"{name}.nii.gz")
    size, window = "data.spatial_size=[8,8]", "data.hu_window=[-1000,1000]"
    cfg = tiny_config(ZHU, size, window, "data.jitter_size=0", "data.augment=false")
    ds = unpaired_slices(cfg.data, tmp_path)
    assert len(ds) == 4 * 3
    item = ds[5]
    assert item["source"].shape == (1, 8, 8) and item["target"].shape == (1, 8, 8)
    assert torch.isclose(item["target"].max(), torch.tensor(0.4))  # 400 HU in [-1000, 1000]
    assert item["source"].max() <= 1 and item["source"].min() >= -1
    # the paper's jitter and flips, a draw per domain from torch's (seeded) random stream
    cfg = tiny_config(ZHU, size, window, "data.jitter_size=10").data
    jittered = unpaired_slices(cfg, tmp_path)
    torch.manual_seed(0)
    first = jittered[5]
    torch.manual_seed(0)
    again = jittered[5]
    assert all(torch.equal(first[k], again[k]) for k in ("source", "target"))
    draws = {tuple(jittered[5]["source"].flatten().tolist()) for _ in range(20)}
    assert len(draws) > 1 and first["source"].shape == (1, 8, 8)
    assert len(pickle.loads(pickle.dumps(jittered))) == 12  # DataLoader workers may pickle it


def test_patchgan_score_sees_a_70x70_patch():
    from zoo_core.layers import PatchGANDiscriminator

    net = PatchGANDiscriminator(1, base_filters=2, n_layers=3, norm="batch").eval()
    x = torch.randn(1, 1, 128, 128, requires_grad=True)
    scores = net(x)
    assert scores.shape == (1, 1, 14, 14)
    scores[0, 0, 7, 7].backward()
    rows = (x.grad[0, 0].abs().sum(1) > 0).nonzero()
    cols = (x.grad[0, 0].abs().sum(0) > 0).nonzero()
    assert int(rows.max() - rows.min() + 1) == 70 and int(cols.max() - cols.min() + 1) == 70


def test_image_pool():
    from zoo_core.layers import ImagePool

    pool = ImagePool(3)
    first = torch.arange(2.0).view(2, 1, 1, 1)
    assert torch.equal(pool.query(first), first) and len(pool) == 2
    rng = torch.Generator().manual_seed(0)
    for _ in range(10):
        new = torch.full((2, 1, 1, 1), 9.0)
        out = pool.query(new, generator=rng)
        assert out.shape == (2, 1, 1, 1) and len(pool) == 3
    assert torch.equal(ImagePool(0).query(first), first)
