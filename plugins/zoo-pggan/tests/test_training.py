"""Growing keeps earlier weights; zoo.train through phases resumes mid-phase bit for bit."""

from __future__ import annotations

import torch
from zoo_pggan.data import training_dataset
from zoo_pggan.trainer import ProgressiveTrainer

import zoo_core as zoo
from zoo_core import checkpoint

# 4x4 for 4 steps, then 8x8 fades in over 3 steps and stabilises 1; batch 8 -> 4 at 8x8.
SCHEDULE = [
    "model.max_resolution=8",
    "model.filters=8",
    "train.fade_in_steps=3",
    "train.stabilise_steps=1",
    "train.batch_size=8",
    "train.batch_size_at=[[8, 4]]",
    "train.checkpoint_every=2",
    "train.log_every=1",
]


def test_growing_keeps_the_earlier_layers_weights(mni_dir, tmp_path):
    cfg = zoo.model_config("beers-pggan-mni152", [*SCHEDULE, "train.steps=5"])
    torch.manual_seed(0)
    model = zoo.build("pggan", cfg)
    model.model_id = "beers-pggan-mni152"
    trainer = ProgressiveTrainer(
        model, cfg, training_dataset(cfg.data, mni_dir), tmp_path, "beers-pggan-mni152",
        progress=False,
    )  # fmt: skip
    assert (model.current_level, trainer.batch_size) == (0, 8)
    cfg.train.steps = 4
    trainer.fit()  # the whole 4x4 phase
    before = {k: v.clone() for k, v in model.state_dict().items()}
    params_before = {id(p) for p in model.generator_parameters()}
    trainer.on_step_start()  # step 4: grow to 8x8
    assert (model.current_level, model.current_alpha, trainer.batch_size) == (1, 0.0, 4)
    after = model.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before if k not in ("level", "alpha"))
    in_optimizer = {id(p) for group in trainer.opt_g.param_groups for p in group["params"]}
    assert params_before < in_optimizer  # the same 4x4 tensors, now with the new block
    assert id(model.generator.blocks[1]["conv0"].weight) in in_optimizer
    # One step at 8x8 trains the old layers further, in place.
    cfg.train.steps = 5
    trainer.fit()
    assert not torch.equal(before["generator.blocks.0.conv1.weight"],
                           model.state_dict()["generator.blocks.0.conv1.weight"])  # fmt: skip


def test_train_through_two_phases_resumes_mid_fade_in_exactly(mni_dir, tmp_path):
    whole = zoo.train("beers-pggan-mni152", data=mni_dir, overrides=[*SCHEDULE, "train.steps=8"],
                      out_dir=tmp_path / "whole", progress=False)  # fmt: skip
    zoo.train("beers-pggan-mni152", data=mni_dir, overrides=[*SCHEDULE, "train.steps=6"],
              out_dir=tmp_path / "split", progress=False)  # fmt: skip
    _, info = checkpoint.read(tmp_path / "split/checkpoints/step-00000006.safetensors")
    assert info["state"]["extra"]["level"] == 1
    assert abs(info["state"]["extra"]["alpha"] - 1 / 3) < 1e-6  # stopped mid fade-in
    split = zoo.train("beers-pggan-mni152", data=mni_dir, overrides=[*SCHEDULE, "train.steps=8"],
                      out_dir=tmp_path / "split", resume=True, progress=False)  # fmt: skip
    a, info_a = checkpoint.read(whole)
    b, info_b = checkpoint.read(split)
    assert info_a["state"]["extra"] == info_b["state"]["extra"] == {
        "level": 1, "alpha": 1.0, "batch_size": 4,
    }  # fmt: skip
    for group in ("model", "optim_g", "optim_d"):
        assert a[group].keys() == b[group].keys()
        for key in a[group]:
            assert torch.equal(a[group][key], b[group][key]), f"{group}/{key}"
    # The checkpoint loads for generation at the resolution it reached, and it publishes
    # and loads back by repo id through the core's hub I/O (a local folder hub here).
    from zoo_pggan.loading import open_model

    model = open_model(str(split))
    expected = model.generate(n=2, seed=1)
    assert expected.shape == (2, 3, 8, 8)
    hub = f"dir:{tmp_path / 'hub'}"
    zoo.push(split, "lab/pggan-mni152-test", to=hub)
    published = zoo.load("lab/pggan-mni152-test", source=hub)
    assert published.model_id == "beers-pggan-mni152"
    assert torch.equal(published.generate(n=2, seed=1), expected)


def test_the_fundus_demo_id_trains_on_the_shipped_retina_with_its_vessel_map(tmp_path):
    from zoo_pggan.prepare import prepare_fundus

    data = prepare_fundus(tmp_path / "retina", size=16, copies=4)
    cfg = zoo.model_config("beers-pggan-retina")
    assert (cfg.model.max_resolution, cfg.train.steps, cfg.data.channels) == (256, 2800, 4)
    checkpoint_path = zoo.train(
        "beers-pggan-retina", data=data, out_dir=tmp_path / "run", progress=False,
        overrides=[*SCHEDULE, "train.steps=6", "train.batch_size_at=[[8, 2]]",
                   "train.batch_size=4"],
    )  # fmt: skip
    model = zoo.load(str(checkpoint_path))
    assert model.model_id == "beers-pggan-retina"
    assert model.generate(n=2, seed=0).shape == (2, 4, 8, 8)  # R, G, B + vessels
    losses = (tmp_path / "run" / "losses.csv").read_text().splitlines()
    assert len(losses) == 1 + 6
