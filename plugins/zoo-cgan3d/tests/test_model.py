"""The networks, generate() on blocks, the paper's config and the conformance kit."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from zoo_cgan3d import TINY as PLUGIN_TINY
from zoo_cgan3d.model import to_hu

from zoo_core.api import build, model_config
from zoo_core.errors import ZooError
from zoo_core.testing import check_plugin

IDS = [
    "mangalagiri-cgan3d-autoencode",
    "mangalagiri-cgan3d-denoise",
    "mangalagiri-cgan3d-depixelate",
    "mangalagiri-cgan3d-headct",
    "mangalagiri-cgan3d-headct-autoencode",
    "mangalagiri-cgan3d-headct-depixelate",
]


#: The plugin's tiny networks at the paper's 32^3 blocks, which these tests feed.
TINY = [o for o in PLUGIN_TINY if not o.startswith(("model.block_size", "data.spatial_size"))]


def tiny_model(model_id="mangalagiri-cgan3d-denoise"):
    torch.manual_seed(0)
    return build("cgan3d", model_config(model_id, TINY))


def test_generator_keeps_the_shape_of_the_condition():
    model = tiny_model()
    for side in (32, 48):
        cond = torch.rand(2, 1, side, side, side) * 2 - 1
        out = model.generate(condition=cond, seed=0)
        assert out.shape == cond.shape
        assert out.min() >= -1 and out.max() <= 1


def test_generate_is_seeded_and_z_matters():
    model = tiny_model()
    cond = torch.rand(4, 1, 32, 32, 32) * 2 - 1
    a, b = model.generate(condition=cond, seed=1), model.generate(condition=cond, seed=1)
    c = model.generate(condition=cond, seed=2)
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_self_ensemble_averages_the_eight_mirror_images():
    plain = tiny_model()
    cfg = model_config("mangalagiri-cgan3d-denoise", [*TINY, "model.self_ensemble=true"])
    ensembled = build("cgan3d", cfg)
    ensembled.load_state_dict(plain.state_dict())
    plain.eval(), ensembled.eval()
    cond = torch.rand(1, 1, 32, 32, 32) * 2 - 1
    g = torch.Generator().manual_seed(3)
    with torch.no_grad():
        expected = [plain._generate(cond, g)]
        for axes in ((2,), (3,), (4,), (2, 3), (2, 4), (3, 4), (2, 3, 4)):
            expected.append(plain._generate(cond.flip(axes), g).flip(axes))
        out = ensembled.sample(None, cond, torch.Generator().manual_seed(3))
    assert torch.allclose(out, torch.stack(expected).mean(0).clamp(-1, 1), atol=1e-6)
    assert not torch.allclose(out, expected[0].clamp(-1, 1), atol=1e-4)


def test_z_is_uniform_on_minus_one_one():
    z = tiny_model().draw_z(20_000, torch.Generator().manual_seed(0))
    assert z.shape == (20_000, 2) and float(z.min()) >= -1 and float(z.max()) <= 1
    # U(-1, 1): mean 0, variance 1/3, a quarter of the mass in each half-unit interval
    assert abs(float(z.mean())) < 0.02 and abs(float(z.var()) - 1 / 3) < 0.01
    counts = torch.histc(z, bins=4, min=-1, max=1) / z.numel()
    assert torch.allclose(counts, torch.full((4,), 0.25), atol=0.01)


def test_generate_rejects_a_whole_scan_shaped_condition():
    with pytest.raises(ZooError, match="batch of blocks"):
        tiny_model().generate(condition=torch.zeros(1, 40, 40, 40), seed=0)
    with pytest.raises(ZooError, match="multiples of 4"):
        tiny_model().generate(condition=torch.zeros(1, 1, 30, 32, 32), seed=0)


def test_paper_config_has_the_paper_sizes():
    cfg = model_config("mangalagiri-cgan3d-depixelate")
    assert cfg.model.block_size == 32 and cfg.train.batch_size == 50
    assert cfg.train.steps == 341500 and cfg.train.loss_weights == {"l1": 100.0}
    model = build("cgan3d", cfg)
    assert model.block_size == 32 and model.task == "depixelate"
    batch = model.prepare_batch(model.example_batch(2))
    assert model.critic(model.fake_batch(batch), batch).shape == (2, 1, 2, 2, 2)


def test_the_conformance_kit_passes():
    assert sorted(check_plugin("cgan3d")) == IDS  # at the ArchSpec's tiny config (16³ blocks)


def test_the_hu_loss_reads_the_scans_inverse_equalisation(head_ct):
    from zoo_cgan3d.data import CTBlockDataset
    from zoo_cgan3d.volumes import fit_transform

    cfg = model_config("mangalagiri-cgan3d-headct", [*TINY, "model.hu_l1_weight=2.0"])
    scan = head_ct[60:124, 60:124, 60:92]
    transform = fit_transform(cfg.data, scan)
    item = CTBlockDataset([scan], [transform], augment=False)[0]
    model = build("cgan3d", cfg)
    batch = {"target": item["target"][None], "hu_lookup": item["hu_lookup"][None]}
    hu = np.asarray(transform.inverse(item["target"].numpy()))
    assert np.allclose(hu, scan[:32, :32, :32], atol=0.05)  # the table is the inverse

    fake = (item["target"][None] + 0.01).requires_grad_()
    loss = model.auxiliary_loss(batch, fake)
    shifted = np.asarray(transform.inverse(np.clip(fake.detach().numpy(), -1, 1)))
    half_range = (scan.max() - scan.min()) / 2
    expected = 2.0 * np.abs(shifted[0, 0] - hu).mean() / half_range
    assert loss.item() == pytest.approx(expected, rel=1e-3)
    loss.backward()
    assert (fake.grad[fake < 1] > 0).all()  # every voxel is pulled back down towards the truth
    assert model.auxiliary_loss(batch, fake.detach()).item() == 0.0  # not in the critic's step


def test_the_hu_squared_error_term_is_the_mse_in_half_ranges(head_ct):
    from zoo_cgan3d.data import CTBlockDataset
    from zoo_cgan3d.volumes import fit_transform

    overrides = [*TINY, "model.hu_mse_weight=3.0", "model.hu_l1_weight=0"]
    cfg = model_config("mangalagiri-cgan3d-headct", overrides)
    scan = head_ct[60:124, 60:124, 60:92]
    item = CTBlockDataset([scan], [fit_transform(cfg.data, scan)], augment=False)[0]
    model = build("cgan3d", cfg)
    batch = {"target": item["target"][None], "hu_lookup": item["hu_lookup"][None]}
    fake = (item["target"][None] - 0.02).requires_grad_()
    lookup = batch["hu_lookup"]
    error = to_hu(fake.detach(), lookup) - to_hu(batch["target"], lookup)
    half_range = (scan.max() - scan.min()) / 2
    expected = 3.0 * (error.square().mean() / half_range**2).item()
    loss = model.auxiliary_loss(batch, fake)
    assert loss.item() == pytest.approx(expected, rel=1e-3)
    loss.backward()
    assert (fake.grad[fake > -1] < 0).all()  # every voxel is pushed back up towards the truth


def test_generator_norm_is_a_choice_with_a_clear_error():
    cfg = model_config("mangalagiri-cgan3d-headct", [*TINY, "model.generator_norm=none"])
    plain = build("cgan3d", cfg)
    assert not [m for m in plain.generator.modules() if "Norm" in type(m).__name__]
    with pytest.raises(
        ZooError, match=r"model\.generator_norm must be one of batch, instance, none, not 'x'"
    ):
        build(
            "cgan3d", model_config("mangalagiri-cgan3d-headct", [*TINY, "model.generator_norm=x"])
        )


def test_a_median_base_starts_the_denoiser_at_the_median_filter():
    from zoo_cgan3d.conditions import median_filter

    overrides = [*TINY, "model.generator_residual=true", "model.residual_base=median"]
    plain = [*overrides, "model.slope_input=false"]
    model = build("cgan3d", model_config("mangalagiri-cgan3d-headct", plain))
    noisy = torch.rand(2, 1, 16, 16, 16, generator=torch.Generator().manual_seed(1)) * 2 - 1
    out = model.generate(condition=noisy, seed=0)
    base = median_filter(noisy, 5)
    assert (out - base).abs().max() < 0.02  # the untrained correction is near zero
    assert (out - noisy).abs().mean() > 10 * (out - base).abs().mean()
    with pytest.raises(ZooError, match=r"residual_base=median needs model\.task=denoise"):
        build("cgan3d", model_config("mangalagiri-cgan3d-headct-depixelate", overrides))


def test_a_median_input_feeds_the_generator_the_3_cubed_median_beside_the_condition():
    from zoo_cgan3d.conditions import median_filter

    overrides = [*TINY, "model.slope_input=false", "model.median_input=true"]
    model = build("cgan3d", model_config("mangalagiri-cgan3d-headct", overrides))
    seen = []
    model.generator.unet.register_forward_pre_hook(lambda _, args: seen.append(args[0]))
    noisy = torch.rand(2, 1, 16, 16, 16, generator=torch.Generator().manual_seed(1)) * 2 - 1
    model.generate(condition=noisy, seed=0)
    assert seen[0].shape[1] == 2 + model.z_dim  # condition, its 3³ median, z
    assert torch.allclose(seen[0][:, :1], noisy) and torch.allclose(
        seen[0][:, 1:2], median_filter(noisy, 3)
    )
    with pytest.raises(ZooError, match=r"median_input needs model\.task=denoise"):
        build("cgan3d", model_config("mangalagiri-cgan3d-headct-depixelate", overrides))


def test_a_lattice_generator_corrects_only_the_voxels_the_pixelation_dropped():
    from zoo_cgan3d.conditions import lattice_cubic, pixelate

    model = build("cgan3d", model_config("mangalagiri-cgan3d-headct-depixelate", TINY))
    assert model.generator.factor == 2
    with torch.no_grad():  # a trained-sized correction, not the near-zero initial one
        model.generator.body[-1].weight.normal_(0, 0.05)
        model.generator.body[-1].bias.uniform_(-0.2, 0.2)
    clean = torch.rand(2, 1, 32, 32, 32, generator=torch.Generator().manual_seed(0)) * 2 - 1
    condition = pixelate(clean)
    out = model._generate(condition, torch.Generator().manual_seed(1))
    base = lattice_cubic(condition)
    kept = (..., slice(None, None, 2), slice(None, None, 2), slice(None, None, 2))
    assert torch.equal(out[kept], base[kept])  # the kept voxels are known exactly
    moved = (out - base).abs() > 1e-4
    assert moved.float().mean() > 0.8 * 7 / 8  # every other sub-voxel position is corrected


def test_shuffled_phases_land_on_their_sub_voxel_position():
    from zoo_cgan3d.networks import shuffle_phases

    phases = torch.zeros(1, 8, 2, 2, 2)
    phases[0, 5] = 1.0  # position (1, 0, 1) of each 2x2x2 cell: 5 = 1*4 + 0*2 + 1
    grid = shuffle_phases(phases, 2, torch.Size((4, 4, 3)))
    assert grid.shape == (1, 1, 4, 4, 3)
    assert grid[0, 0].nonzero().tolist() == [[1, 0, 1], [1, 2, 1], [3, 0, 1], [3, 2, 1]]
    assert shuffle_phases(torch.ones(1, 8, 1, 1, 1), 2, torch.Size((2, 2, 2)))[0, 0, 0, 0, 0] == 0


def test_unshuffled_phases_shuffle_back_to_the_same_grid():
    from zoo_cgan3d.networks import shuffle_phases, unshuffle_phases

    grid = torch.arange(2 * 3 * 4 * 6 * 2, dtype=torch.float32).reshape(2, 3, 4, 6, 2)
    cells = unshuffle_phases(grid, 2)
    assert cells.shape == (2, 24, 2, 3, 1)
    assert cells[0, 5, 0, 0, 0] == grid[0, 0, 1, 0, 1]  # position (1, 0, 1) of the first cell
    assert torch.equal(shuffle_phases(cells, 2, grid.shape[2:], keep_first=False), grid)
    with pytest.raises(ValueError, match="multiple of 2"):
        unshuffle_phases(grid[..., :1], 2)


def test_a_denoising_lattice_generator_reads_and_corrects_every_voxel():
    from zoo_cgan3d.conditions import median_filter

    overrides = [*TINY, "model.generator_lattice=true", "model.generator_channels=[8]"]
    model = build("cgan3d", model_config("mangalagiri-cgan3d-headct", overrides))
    assert model.generator.every_voxel
    with torch.no_grad():  # a trained-sized correction, not the near-zero initial one
        model.generator.body[-1].weight.normal_(0, 0.05)
        model.generator.body[-1].bias.uniform_(-0.2, 0.2)
    noisy = torch.rand(2, 1, 16, 16, 16, generator=torch.Generator().manual_seed(0)) * 2 - 1
    lookup = model.window_lookup().expand(2, -1)
    out = model._generate(noisy, torch.Generator().manual_seed(1), lookup)
    assert ((out - median_filter(noisy, 5)).abs() > 1e-4).float().mean() > 0.9
    changed = noisy.clone()
    changed[0, 0, 5, 5, 5] += 0.5  # an odd position of its cell, which depixelation drops
    moved = model._generate(changed, torch.Generator().manual_seed(1), lookup) - out
    assert moved[0, 0, 5, 5, 5].abs() > 1e-4 and moved[1].abs().max() == 0


def test_a_lattice_generator_needs_a_restoring_task_and_a_residual():
    lattice = [*TINY, "model.generator_lattice=true"]
    with pytest.raises(ZooError, match=r"generator_lattice needs model\.task=depixelate or"):
        build("cgan3d", model_config("mangalagiri-cgan3d-headct-autoencode", lattice))
    with pytest.raises(ZooError, match=r"generator_lattice needs model\.generator_residual=true"):
        overrides = [*lattice, "model.generator_residual=false", "model.residual_base=condition"]
        build("cgan3d", model_config("mangalagiri-cgan3d-headct-depixelate", overrides))


def test_a_slope_input_model_reads_the_scans_own_table_and_says_where_to_get_it(small_ct, tmp_path):
    import nibabel as nib
    from zoo_cgan3d.model import hu_slope_at, to_hu
    from zoo_cgan3d.reconstruct import reconstruct

    from zoo_core.generation.to_files import generate_to_files
    from zoo_core.seeds import derive_seed

    lookup = torch.linspace(0.0, 1.0, 4097) ** 3 * 1000  # HU = 1000 u^3: steeper at the top
    y = torch.tensor([[-0.5, 0.0, 0.9]])
    h = 1e-3
    numeric = (to_hu(y + h, lookup[None]) - to_hu(y - h, lookup[None])) / (2 * h)
    assert torch.allclose(hu_slope_at(y, lookup[None]), numeric, rtol=1e-2)
    assert hu_slope_at(y, lookup[None])[0, 2] > 10 * hu_slope_at(y, lookup[None])[0, 0]

    overrides = [*TINY, "model.generator_strides=[1,2]", "model.slope_input=true"]
    model = build("cgan3d", model_config("mangalagiri-cgan3d-headct", overrides)).eval()
    blocks = torch.rand(1, 1, 16, 16, 16, generator=torch.Generator().manual_seed(0)) * 2 - 1
    with pytest.warns(UserWarning, match=r"linear window.*zoo generate ID --condition scan"):
        assumed = model.generate(condition=blocks, seed=0)
    window = model.window_lookup()
    assert torch.equal(assumed, model.generate(condition=blocks, seed=0, hu_lookup=window))
    steep = model.generate(condition=blocks, seed=0, hu_lookup=lookup)
    assert not torch.equal(assumed, steep)  # the table is read, not ignored
    scan = np.random.default_rng(0).uniform(0, 90, (20, 18, 17)).astype(np.float32)
    assert reconstruct(model, scan).hu.shape == scan.shape  # it passes the scan's table

    # `zoo generate --condition scan.nii.gz` gets the same table through condition_options,
    # so a whole scan comes out as reconstruct makes it.
    written = generate_to_files(model, tmp_path / "out", condition=small_ct, overlap=0.5)
    generated = np.asarray(nib.load(written.files[0]).dataobj, dtype=np.float32)
    hu = np.asarray(nib.load(small_ct).dataobj, dtype=np.float32)
    # zoo.generate seeds sample 0 of condition 0 with derive_seed(derive_seed(0, 0), 0) and
    # runs 4 blocks a call
    seed = derive_seed(derive_seed(0, 0), 0)
    expected = reconstruct(model, hu, seed=seed, sw_batch_size=4).hu
    assert generated.shape == hu.shape
    assert np.abs(generated - np.rint(expected)).max() <= 1.0  # int16 NIfTI of the same scan


def test_a_block_is_normalised_only_by_a_transform_fitted_on_a_slab_that_holds_it(head_ct):
    from zoo_cgan3d.data import CTBlockDataset
    from zoo_cgan3d.volumes import fit_transform

    cfg = model_config("mangalagiri-cgan3d-headct")
    scan = head_ct[40:168, 40:168, :]
    data = CTBlockDataset([scan], [fit_transform(cfg.data, scan)], transform_slabs=8, augment=False)
    slabs = data.slabs[0]
    assert slabs[0] == (0, scan.shape[-1]) and len(slabs) == 9
    used = set()
    for item in range(len(data)):
        z = data.index[item][1][-1]
        lookup = data[item]["hu_lookup"]
        k = next(k for k, table in enumerate(data.lookups[0]) if torch.equal(table, lookup))
        top = min(z + data.block, scan.shape[-1])  # the last block is padded past the end
        assert slabs[k][0] <= z and top <= slabs[k][1], (z, slabs[k])
        used.add(k)
    assert len(used) > 2  # the slab transforms are used, not only the scan's own


def test_hu_ceilings_clip_the_scans_the_extra_transforms_are_fitted_on(head_ct):
    from zoo_cgan3d.data import CTBlockDataset
    from zoo_cgan3d.volumes import fit_transform

    cfg = model_config("mangalagiri-cgan3d-headct")
    scan = head_ct[40:168, 40:168, 40:104]
    data = CTBlockDataset(
        [scan], [fit_transform(cfg.data, scan)], transform_slabs=6, hu_ceiling=(60.0, 70.0)
    )
    ceilings = data.ceilings[0]
    assert ceilings[0] is None and all(60 <= c <= 70 for c in ceilings[1:])
    tops = [lookup[-1].item() for lookup in data.lookups[0]]  # HU at the top level, 1.0
    assert tops[0] == pytest.approx(float(scan.max()))
    assert tops[1:] == pytest.approx(ceilings[1:])  # fitted on scans that top out there
