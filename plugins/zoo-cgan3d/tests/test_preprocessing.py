"""Blocks, stitching, HU equalisation and the x34 augmentation."""

from __future__ import annotations

import numpy as np
import torch
from zoo_cgan3d.data import AUGMENT_FACTOR, CTBlockDataset, augment_block
from zoo_cgan3d.reconstruct import predict_volume
from zoo_cgan3d.volumes import fit_transform

from zoo_core.api import model_config
from zoo_core.interfaces.model import GANModel


class IdentityBlockModel(GANModel):
    """Returns its condition: reconstruction must then give back the input volume."""

    conditional = True
    block_size = 32

    def __init__(self):
        super().__init__()
        self.calls = []

    def sample(self, n, condition, generator):
        self.calls.append(tuple(condition.shape))
        return condition.clone()


def test_paper_blocks_split_and_stitch_exactly_on_identity():
    volume = torch.rand(1, 70, 45, 33) * 2 - 1
    model = IdentityBlockModel()
    out = predict_volume(model, volume, mode="blocks", sw_batch_size=5)
    assert torch.equal(out, volume)
    # 3 x 2 x 2 non-overlapping 32³ blocks, in batches of at most 5
    assert [c[0] for c in model.calls] == [5, 5, 2]
    assert all(c[1:] == (1, 32, 32, 32) for c in model.calls)


def test_sliding_window_reconstruction_is_identity_on_identity():
    volume = torch.rand(1, 70, 45, 33) * 2 - 1
    out = predict_volume(IdentityBlockModel(), volume, mode="sliding", overlap=0.5)
    assert out.shape == volume.shape
    torch.testing.assert_close(out, volume, atol=1e-5, rtol=0)


def test_hu_equalisation_round_trips_on_the_real_head_ct(head_ct):
    cfg = model_config("mangalagiri-cgan3d-headct")
    tf = fit_transform(cfg.data, head_ct)
    x = tf.forward(head_ct)
    assert x.min() >= -1.0 and x.max() <= 1.0 and x.min() < -0.99 and x.max() > 0.99
    back = tf.inverse(x)
    assert np.abs(back - head_ct).max() < 0.05  # HU
    # equalisation spreads the dense brain HU range: 20-45 HU covers more than its linear share
    lo, hi = tf.forward(np.array([20.0, 45.0]))
    assert (hi - lo) / 2 > 25 / 4095 * 10


def test_dataset_tiles_the_scan_and_augments_34_ways(head_ct):
    cfg = model_config("mangalagiri-cgan3d-headct")
    crop = head_ct[60:140, 60:140, 60:100]
    tf = fit_transform(cfg.data, crop)
    ds = CTBlockDataset([crop], [tf], block=32, augment=True, shift=8)
    assert AUGMENT_FACTOR == 34
    assert len(ds) == 3 * 3 * 2 * 34  # 80x80x40 -> ceil grid 3x3x2
    item = ds[0]
    assert item["target"].shape == (1, 32, 32, 32)
    expected = torch.as_tensor(tf.forward(crop[:32, :32, :32]))[None]
    torch.testing.assert_close(item["target"], expected.float())
    # translation 'shift(1, 1, 1)' of block (0,0,0) is the block at (8, 8, 8)
    volume = torch.as_tensor(crop)[None]
    shifted = augment_block(volume, (0, 0, 0), 32, 26, 8, 0.0)
    assert torch.equal(shifted, volume[:, 8:40, 8:40, 8:40])
    inner = torch.as_tensor(head_ct[50:150, 50:150, 50:150])[None]  # room to move all ways
    variants = [augment_block(inner, (32, 32, 32), 32, a, 8, 0.0) for a in range(34)]
    assert len({v.numpy().tobytes() for v in variants}) == 34  # all 34 differ


class SeededNoiseBlockModel(IdentityBlockModel):
    """Condition + seeded noise: each call's output depends on its blocks and its seed."""

    def sample(self, n, condition, generator):
        noise = torch.rand(condition.shape, generator=generator, device=condition.device)
        return condition + noise


def test_streamed_blocks_equal_split_and_stitch_with_seeds_and_edge_padding():
    from zoo_core.data import split_blocks, stitch_blocks
    from zoo_core.generation import derive_seed

    volume = torch.rand(1, 70, 45, 33) * 2 - 1
    model = SeededNoiseBlockModel()
    out = predict_volume(model, volume, mode="blocks", sw_batch_size=5, seed=3)
    blocks, grid = split_blocks(volume, 32, pad_value=float(volume.min()))
    expected = [
        model.generate(condition=blocks[s : s + 5], seed=derive_seed(3, call))
        for call, s in enumerate(range(0, len(blocks), 5))
    ]
    torch.testing.assert_close(out, stitch_blocks(torch.cat(expected), grid), rtol=0, atol=0)


def test_reconstruct_in_place_reuses_the_scan_and_matches_the_copying_path():
    from zoo_cgan3d.reconstruct import reconstruct

    model = IdentityBlockModel()
    model.config = model_config("mangalagiri-cgan3d-headct")
    hu = np.random.default_rng(0).integers(-1000, 1000, (40, 36, 35)).astype(np.float32)
    copy = reconstruct(model, hu.copy(), mode="blocks")
    scan = hu.copy()
    in_place = reconstruct(model, scan, mode="blocks", inplace=True)
    np.testing.assert_array_equal(in_place.hu, copy.hu)
    np.testing.assert_allclose(copy.hu, hu, atol=0.5)  # identity model: HU come back
    assert not np.array_equal(scan, hu)  # the caller's scan now holds the normalised values
    assert scan.min() >= -1 and scan.max() <= 1
