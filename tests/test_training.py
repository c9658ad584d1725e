"""The GAN loop on a tiny MLP GAN: it learns, resumes bit-identically, stops on NaN, saves on
Ctrl-C, and writes what ``zoo push`` publishes."""

from __future__ import annotations

import csv
import signal

import pytest
import torch
from click.testing import CliRunner
from helpers import tiny_gan
from helpers.tiny_gan import ConstantImages, config

from zoo_core import checkpoint
from zoo_core.errors import ConfigError, TrainingError
from zoo_core.training import GANTrainer, TrainingInterrupted, latest_checkpoint

MODEL_ID = "test-tinygan-constant"


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Tiny matrices on a shared 2-core machine: one thread is several times faster."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def make_trainer(out_dir, *overrides, cls=GANTrainer, resume=False, model_seed=0, data=None):
    cfg = config(*overrides)
    torch.manual_seed(model_seed)
    model = tiny_gan.build(cfg.model)
    data = data or ConstantImages()
    return cls(model, cfg, data, out_dir, MODEL_ID, resume=resume, progress=False)


def full_state(trainer: GANTrainer) -> dict[str, torch.Tensor]:
    """Weights, EMA and both optimisers' moments: everything that must match after resume."""
    state = {f"model.{k}": v for k, v in trainer.model.state_dict().items()}
    if trainer.ema is not None:
        state.update({f"ema.{k}": v for k, v in trainer.ema.module.state_dict().items()})
    for name, opt in (("g", trainer.opt_g), ("d", trainer.opt_d)):
        for index, values in opt.state_dict()["state"].items():
            state.update({f"opt_{name}.{index}.{k}": v for k, v in values.items()})
    return state


def read_rows(path) -> list[dict[str, str]]:
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def assert_identical(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> None:
    assert a.keys() == b.keys()
    different = [k for k in a if not torch.equal(a[k], b[k])]
    assert not different, f"differ after resume: {different}"


def test_tiny_gan_learns_the_data_mean(tmp_path):
    trainer = make_trainer(
        tmp_path,
        "train.steps=60",
        "train.ema_decay=0.9",
        "train.log_every=5",
    )
    before = trainer.model.generate(n=256, seed=1).mean().item()
    final = trainer.fit()
    after = trainer.model.generate(n=256, seed=1).mean().item()
    assert abs(before - tiny_gan.MEAN) > 0.35  # starts near 0
    assert abs(after - tiny_gan.MEAN) < 0.15, (before, after)

    rows = read_rows(tmp_path / "losses.csv")
    assert [int(r["step"]) for r in rows] == list(range(5, 61, 5))
    assert {"d_loss", "g_loss", "d_adv", "g_adv", "seconds"} <= set(rows[0])
    for key in ("d_loss", "g_loss"):
        values = [float(r[key]) for r in rows]
        assert max(values) - min(values) > 0.05, f"{key} never moved: {values}"
    assert (tmp_path / "losses.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    assert final == tmp_path / "checkpoints" / "step-00000060.safetensors"
    groups, info = checkpoint.read(final)
    assert info["model_id"] == MODEL_ID and "latent_dim: 4" in info["config"]
    assert info["state"]["step"] == 60
    assert set(groups) == {"model", "ema", "optim_g", "optim_d", "rng"}
    # the EMA group replaces the generator's weights in what `zoo push` publishes
    assert set(groups["ema"]) == {f"generator.{k}" for k in trainer.model.generator.state_dict()}
    published = checkpoint.inference_weights(groups)
    assert torch.equal(published["generator.3.weight"], trainer.ema.module.state_dict()["3.weight"])
    raw = groups["model"]["discriminator.1.weight"]
    assert torch.equal(published["discriminator.1.weight"], raw)


class _WatchesTheCsv(GANTrainer):
    """Records, before each step, the steps that losses.csv already holds."""

    seen: list[list[int]]

    def on_step_start(self):
        path = self.out_dir / "losses.csv"
        rows = read_rows(path) if path.exists() else []
        self.seen = [*getattr(self, "seen", []), [int(r["step"]) for r in rows]]


def test_without_a_bar_each_log_step_is_a_log_line_and_a_csv_row_at_once(tmp_path, caplog):
    """--no-progress (or stderr not a terminal): a line every train.log_every steps with the
    step, the losses and the seconds; losses.csv grows as training goes, so a run killed
    mid-way keeps the rows logged so far."""
    trainer = make_trainer(tmp_path, "train.steps=7", "train.log_every=3", cls=_WatchesTheCsv)
    with caplog.at_level("INFO", logger="zoo_core.training.trainer"):
        trainer.fit()
    lines = [r.getMessage() for r in caplog.records if r.name == "zoo_core.training.trainer"]
    assert [line.split()[:3] for line in lines] == [
        [MODEL_ID, "step", "3/7"],
        [MODEL_ID, "step", "6/7"],
        [MODEL_ID, "step", "7/7"],
    ]
    assert all("d_loss=" in line and "g_loss=" in line for line in lines)
    assert all(line.endswith("s") and float(line.split()[-1][:-1]) >= 0 for line in lines)
    # before step k+1 the file holds every logged step up to k
    assert trainer.seen == [[], [], [], [3], [3], [3], [3, 6]]
    assert [int(r["step"]) for r in read_rows(tmp_path / "losses.csv")] == [3, 6, 7]


def test_resume_drops_rows_logged_after_the_checkpoint(tmp_path):
    """A run killed after its last checkpoint logged rows the resumed run logs again: the
    first append rewrites the file from the checkpoint's history, so no step is doubled."""
    make_trainer(tmp_path, "train.steps=4", "train.log_every=1",
                 "train.checkpoint_every=2").fit()  # fmt: skip
    (tmp_path / "checkpoints" / "step-00000004.safetensors").unlink()  # "killed" after step 4
    resumed = make_trainer(tmp_path, "train.steps=5", "train.log_every=1",
                           "train.checkpoint_every=2", resume=True, cls=_WatchesTheCsv)  # fmt: skip
    resumed.fit()
    assert resumed.seen[0] == [1, 2, 3, 4]  # the killed run's rows, until the first log step
    assert [int(r["step"]) for r in read_rows(tmp_path / "losses.csv")] == [1, 2, 3, 4, 5]


def test_bf16_training_learns_the_data_mean_too(tmp_path):
    trainer = make_trainer(
        tmp_path, "train.steps=60", "train.precision=bf16", "train.channels_last=true"
    )
    assert trainer.amp_dtype is torch.bfloat16
    trainer.fit()
    after = trainer.model.generate(n=256, seed=1).mean().item()
    assert abs(after - tiny_gan.MEAN) < 0.15, after
    # weights and optimiser moments stay float32 under autocast
    assert all(p.dtype == torch.float32 for p in trainer.model.parameters())


def test_a_precision_the_device_lacks_is_refused_by_key(tmp_path):
    with pytest.raises(ConfigError, match=r"train\.precision: precision fp16 needs a CUDA GPU"):
        make_trainer(tmp_path, "train.precision=fp16")


RESUME = (
    "train.adversarial=wgan-gp",
    "train.n_critic=2",
    "train.ema_decay=0.8",
    "train.grad_clip=5.0",
    "model.batchnorm=true",
    "model.dropout=0.2",
)


class Recording(GANTrainer):
    def discriminator_loss(self, batch):
        self.seen = [*getattr(self, "seen", []), batch["target"].clone()]
        return super().discriminator_loss(batch)


@pytest.mark.parametrize("workers", [0, 2])
def test_resume_gives_bit_identical_weights(tmp_path, workers):
    # 32 images, batch 8, 2 critic batches per step: step 3 stops mid-epoch (epoch 1, 16 in);
    # the data are randomly augmented, in the main process or in 2 DataLoader workers
    settings = (*RESUME, f"train.num_workers={workers}")
    data = ConstantImages(jitter=0.1)
    straight = make_trainer(tmp_path / "a", "train.steps=7", *settings, cls=Recording, data=data)
    straight.fit()

    first = make_trainer(tmp_path / "b", "train.steps=3", *settings, cls=Recording, data=data)
    first.fit()
    assert first.epoch == 1 and first._position == 16
    # a different initialisation, then everything comes from the checkpoint
    second = make_trainer(
        tmp_path / "b",
        "train.steps=7",
        *settings,
        resume=True,
        model_seed=99,
        cls=Recording,
        data=data,
    )
    second.fit()
    # the same augmented samples, whichever process loaded them
    resumed = first.seen + second.seen
    assert len(resumed) == len(straight.seen) == 14
    assert all(torch.equal(x, y) for x, y in zip(straight.seen, resumed, strict=True))
    assert second.step == 7
    assert_identical(full_state(straight), full_state(second))
    a = [{k: v for k, v in r.items() if k != "seconds"} for r in straight.history.rows]
    b = [{k: v for k, v in r.items() if k != "seconds"} for r in second.history.rows]
    assert a == b  # the resumed run's CSV holds the whole history


class NaNAtStep5(GANTrainer):
    def generator_loss(self, batch):
        loss, logs = super().generator_loss(batch)
        if self.step == 4:  # the 5th generator update
            loss = loss * float("nan")
        return loss, logs


def test_nan_stops_with_the_step_and_keeps_the_last_good_checkpoint(tmp_path):
    trainer = make_trainer(tmp_path, "train.steps=10", "train.checkpoint_every=2", cls=NaNAtStep5)
    with pytest.raises(TrainingError) as info:
        trainer.fit()
    message = str(info.value)
    assert "step 5: the generator loss is nan" in message
    assert "step-00000004.safetensors" in message and "is kept" in message
    good = latest_checkpoint(tmp_path)
    assert good.name == "step-00000004.safetensors"
    groups, meta = checkpoint.read(good)  # intact and readable
    assert meta["state"]["step"] == 4
    assert all(torch.isfinite(v).all() for v in groups["model"].values())
    assert (tmp_path / "losses.csv").is_file()


class InfiniteWeightsAtStep4(GANTrainer):
    def _update(self, loss, opt, scaler, params, network):
        super()._update(loss, opt, scaler, params, network)
        if self.step == 3 and network == "generator":  # the 4th step's last update
            with torch.no_grad():  # went infinite while its loss was finite
                next(self.model.generator.parameters()).fill_(float("inf"))


def test_non_finite_weights_are_never_checkpointed(tmp_path):
    trainer = make_trainer(
        tmp_path, "train.steps=10", "train.checkpoint_every=2", cls=InfiniteWeightsAtStep4
    )
    with pytest.raises(TrainingError, match=r"step 4: the weights hold non-finite values \(gen"):
        trainer.fit()
    good = latest_checkpoint(tmp_path)
    assert good.name == "step-00000002.safetensors"
    groups, _ = checkpoint.read(good)
    assert all(torch.isfinite(v).all() for v in groups["model"].values())


class CtrlCAtStep3(GANTrainer):
    def on_step_start(self):
        if self.step == 3:
            raise KeyboardInterrupt


def test_ctrl_c_saves_and_resume_matches_an_uninterrupted_run(tmp_path):
    trainer = make_trainer(tmp_path / "a", "train.steps=6", cls=CtrlCAtStep3)
    with pytest.raises(TrainingInterrupted) as info:
        trainer.fit()
    assert info.value.step == 3
    assert info.value.path == tmp_path / "a" / "checkpoints" / "step-00000003.safetensors"
    assert "--resume" in str(info.value)
    resumed = make_trainer(tmp_path / "a", "train.steps=6", resume=True)
    resumed.fit()
    straight = make_trainer(tmp_path / "b", "train.steps=6")
    straight.fit()
    assert_identical(full_state(straight), full_state(resumed))


class LearningRates(CtrlCAtStep3):
    def _train_step(self):
        logs = super()._train_step()
        self.rates = [*getattr(self, "rates", []), self.opt_g.param_groups[0]["lr"]]
        return logs

    def on_step_start(self):
        if getattr(self, "interrupt", False):
            super().on_step_start()


def test_learning_rate_schedules_and_their_resume(tmp_path):
    schedule = ("train.steps=6", "train.lr_schedule=linear", "train.lr_decay_start=2")
    straight = make_trainer(tmp_path / "a", *schedule, cls=LearningRates)
    straight.fit()
    base = float(straight.cfg.train.optimizer_g.lr)
    # constant for steps 0-1, then down by a quarter per step: 0 would be reached at step 6
    expected = [base * f for f in (1, 1, 1, 0.75, 0.5, 0.25)]
    assert straight.rates == pytest.approx(expected)
    interrupted = make_trainer(tmp_path / "b", *schedule, cls=LearningRates)
    interrupted.interrupt = True
    with pytest.raises(TrainingInterrupted):
        interrupted.fit()
    resumed = make_trainer(tmp_path / "b", *schedule, resume=True, cls=LearningRates)
    resumed.fit()
    assert interrupted.rates + resumed.rates == pytest.approx(expected)
    assert_identical(full_state(straight), full_state(resumed))
    exponential = make_trainer(
        tmp_path / "d", "train.steps=5", "train.lr_schedule=exponential",
        "train.lr_decay_factor=2.0", f"train.lr_min={base / 5}", cls=LearningRates,
    )  # fmt: skip
    exponential.fit()  # halved every step, never below lr_min
    assert exponential.rates == pytest.approx([base, base / 2, base / 4, base / 5, base / 5])
    with pytest.raises(ConfigError, match=r"train\.lr_schedule: unknown schedule 'cosine'"):
        make_trainer(tmp_path / "c", "train.lr_schedule=cosine").fit()


def test_epochs_count_passes_over_the_data(tmp_path):
    # 32 images, batch 8, 2 critic batches per step: 2 steps per epoch
    trainer = make_trainer(tmp_path, "train.epochs=3", "train.n_critic=2", "train.batch_size=8")
    assert trainer.train_cfg.steps == 6
    trainer.fit()
    assert (trainer.step, trainer.epoch, trainer._position) == (6, 2, 32)  # 3 x 32 samples
    with pytest.raises(ConfigError, match=r"train.epochs=1: .* \(64 samples; the data have 32\)"):
        make_trainer(tmp_path / "b", "train.epochs=1", "train.n_critic=2", "train.batch_size=32")


class SigintAtStep2(GANTrainer):
    def on_step_start(self):
        if self.step == 2:
            signal.raise_signal(signal.SIGINT)  # a real Ctrl-C, delivered mid-step


def test_sigint_finishes_the_step_then_saves(tmp_path):
    trainer = make_trainer(tmp_path, "train.steps=6", cls=SigintAtStep2)
    before = signal.getsignal(signal.SIGINT)  # SIG_IGN when pytest runs as a background job
    with pytest.raises(TrainingInterrupted) as info:
        trainer.fit()
    assert info.value.step == 3  # step 3 was completed, not torn
    assert checkpoint.read(info.value.path)[1]["state"]["step"] == 3
    assert signal.getsignal(signal.SIGINT) is before  # handler restored


def test_frozen_parameters_stay_frozen(tmp_path):
    trainer = make_trainer(tmp_path, "train.steps=2", "train.weight_clip=0.01")
    frozen = trainer.model.discriminator[1].weight
    frozen.requires_grad_(False)
    trainer.rebuild_optimizers()
    before = frozen.detach().clone()
    trainer.fit()
    assert not frozen.requires_grad and torch.equal(frozen, before)  # not trained, not clipped
    assert all(p.abs().max() <= 0.01 for p in trainer.model.discriminator[4].parameters())


@pytest.mark.parametrize("clip", [None, 0.001])
def test_gradient_clipping_bounds_each_update(tmp_path, clip):
    # plain SGD with lr 1: an update is minus the (clipped) gradient, so its norm is the bound
    sgd = ("train.optimizer_g.name=sgd", "train.optimizer_g.lr=1.0",
           "train.optimizer_d.name=sgd", "train.optimizer_d.lr=1.0")  # fmt: skip
    trainer = make_trainer(tmp_path, "train.steps=1", f"train.grad_clip={clip or 'null'}", *sgd)
    before = [p.detach().clone() for p in trainer.model.generator.parameters()]
    trainer.fit()
    after = list(trainer.model.generator.parameters())
    step = torch.cat([(a.detach() - b).flatten() for a, b in zip(after, before, strict=True)])
    if clip is None:
        assert float(step.norm()) > 0.01  # what the bound cuts down
    else:
        assert float(step.norm()) == pytest.approx(clip, rel=1e-3)


def test_weight_clipping_bounds_the_critic(tmp_path):
    trainer = make_trainer(
        tmp_path,
        "train.steps=3",
        "train.adversarial=wgan",
        "train.weight_clip=0.01",
        "train.optimizer_d.name=rmsprop",
    )
    trainer.fit()
    assert isinstance(trainer.opt_d, torch.optim.RMSprop)
    assert max(p.abs().max().item() for p in trainer.model.discriminator.parameters()) <= 0.01


def test_config_errors_name_the_key(tmp_path):
    with pytest.raises(ConfigError, match=r"train.optimizer_g.name: unknown optimiser 'adamx'"):
        make_trainer(tmp_path, "train.optimizer_g.name=adamx")
    with pytest.raises(
        ConfigError, match=r"train.optimizer_g.lr must be a positive number, not -1"
    ):
        make_trainer(tmp_path, "train.optimizer_g.lr=-1")
    with pytest.raises(ConfigError, match=r"train.optimizer_d.betas\[1\] must be in \[0, 1\)"):
        make_trainer(tmp_path, "train.optimizer_d.betas=[0.5,1.5]")
    with pytest.raises(ConfigError, match=r"train.adversarial: Unknown loss 'minimax'"):
        make_trainer(tmp_path, "train.adversarial=minimax")
    with pytest.raises(ConfigError, match=r"train.loss_weights.cycle: .*reconstructions"):
        make_trainer(tmp_path, "train.loss_weights.cycle=10")
    with pytest.raises(ConfigError, match="multiple"):
        make_trainer(tmp_path, "train.batch_size=0")


def test_loss_terms_from_the_config_join_the_generator_loss(tmp_path):
    trainer = make_trainer(
        tmp_path, "train.steps=2", "train.loss_weights.l1=10", "train.loss_weights.tv=0.5"
    )
    trainer.fit()
    row = trainer.history.rows[-1]
    assert row["g_loss"] == pytest.approx(row["g_adv"] + 10 * row["l1"] + 0.5 * row["tv"], rel=1e-5)


def test_adversarial_weight_scales_only_the_adversarial_term(tmp_path):
    trainer = make_trainer(
        tmp_path, "train.steps=2", "train.loss_weights.l1=10", "train.adversarial_weight=0.01"
    )
    trainer.fit()
    row = trainer.history.rows[-1]
    assert row["g_adv"] > 0.1  # the term itself is logged unweighted
    assert row["g_loss"] == pytest.approx(0.01 * row["g_adv"] + 10 * row["l1"], rel=1e-5)


def test_zoo_train_and_cli_with_a_plugin(tmp_path, plugin_site):
    from helpers.cards import card_text

    init = """
        from zoo_core import ArchSpec, ModelSpec, hookimpl
        from helpers.tiny_gan import TinyConfig

        @hookimpl
        def register_architectures(register):
            register(ArchSpec(name="tinygan", builder="helpers.tiny_gan:build",
                              config=TinyConfig, dataset="helpers.tiny_gan:dataset"))

        @hookimpl
        def register_models(register):
            register(ModelSpec(id="test-tinygan-constant", architecture="tinygan",
                               config="zoo_fake_tinygan:configs/c.yaml",
                               card="zoo_fake_tinygan:model_cards/c.md"))
    """
    cfg = "train:\n  steps: 4\n  batch_size: 8\n  checkpoint_every: 2\n  log_every: 1\n"
    files = {
        "__init__.py": init,
        "configs/c.yaml": cfg,
        "model_cards/c.md": card_text(MODEL_ID, "tinygan"),
    }
    plugin_site.add_package("zoo-fake-tinygan", "tinygan", "zoo_fake_tinygan", files)
    plugin_site.activate()
    from zoo_core.registry import reset

    reset()
    import zoo_core as zoo
    from zoo_core.cli import cli

    data = tmp_path / "data"
    data.mkdir()
    out = zoo.train(
        MODEL_ID, data=data, overrides=["train.steps=2"], out_dir=tmp_path / "py", progress=False
    )
    assert out.name == "step-00000002.safetensors"

    result = CliRunner().invoke(
        cli,
        [
            "train",
            MODEL_ID,
            "--data",
            str(data),
            "--out",
            str(tmp_path / "cli"),
            "--steps",
            "3",
            "--no-progress",
            "train.log_every=3",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "step-00000003.safetensors" in result.output
    rows = read_rows(tmp_path / "cli" / "losses.csv")
    assert [r["step"] for r in rows] == ["3"]
    # --resume with more steps continues from step 3
    result = CliRunner().invoke(
        cli,
        [
            "train",
            MODEL_ID,
            "--data",
            str(data),
            "--out",
            str(tmp_path / "cli"),
            "--steps",
            "4",
            "--resume",
            "--no-progress",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Resumed" in result.output and "step-00000004.safetensors" in result.output
    # the progress bar: the model, steps done of all, step rate, ETA and the latest losses
    args = ["train", MODEL_ID, "--data", str(data), "--out", str(tmp_path / "bar")]
    # (drawn on a terminal only: TTY_COMPATIBLE=1 tells rich the runner's stderr is one)
    result = CliRunner(env={"COLUMNS": "200", "TTY_COMPATIBLE": "1"}).invoke(
        cli, [*args, "--steps", "4"]
    )
    assert result.exit_code == 0, result.output
    bar = next(line for line in result.stderr.splitlines() if MODEL_ID in line and "4/4" in line)
    assert "step/s" in bar and "ETA" in bar and "d_loss=" in bar and "g_loss=" in bar
    assert result.stdout.strip() == f"Final checkpoint: {tmp_path / 'bar'}/checkpoints/" + (
        "step-00000004.safetensors"
    )
    reset()


def test_loss_options_reach_the_term_factories(tmp_path):
    trainer = make_trainer(tmp_path, "train.loss_weights.tv=1", "train.loss_options.tv.power=1")
    assert trainer.terms["tv"][0] == 1.0 and trainer.terms["tv"][1].power == 1
    with pytest.raises(ConfigError, match=r"train.loss_options.tv: .*power must be 1 or 2"):
        make_trainer(tmp_path, "train.loss_weights.tv=1", "train.loss_options.tv.power=3")
    with pytest.raises(ConfigError, match=r"train.loss_options.l1: .*unexpected keyword"):
        make_trainer(tmp_path, "train.loss_weights.l1=1", "train.loss_options.l1.nope=3")


class Probe(GANTrainer):
    def on_step_start(self):
        self.deterministic_inside = torch.are_deterministic_algorithms_enabled()


def test_deterministic_mode_is_on_while_training_and_amp_means_auto(tmp_path):
    from zoo_core import precision

    assert not torch.are_deterministic_algorithms_enabled()
    trainer = make_trainer(
        tmp_path, "train.steps=1", "train.deterministic=true", "train.amp=true", cls=Probe
    )
    # the deprecated switch is precision=auto: bf16 where the CPU has bf16 units, no scaler
    assert trainer.amp_dtype is precision.resolve("auto", "cpu")
    assert not trainer.scaler_g.is_enabled()
    trainer.fit()
    assert trainer.deterministic_inside
    assert not torch.are_deterministic_algorithms_enabled()  # process-wide switch restored


def test_resume_with_changed_settings_warns(tmp_path):
    make_trainer(tmp_path, "train.steps=1").fit()
    trainer = make_trainer(tmp_path, "train.steps=2", "train.optimizer_g.lr=0.01", resume=True)
    with pytest.warns(UserWarning, match=r"changed settings: train.optimizer_g.lr"):
        trainer.fit()
    assert trainer.step == 2


@pytest.mark.parametrize("damage", ["truncated", "empty"])
def test_resume_skips_a_corrupt_newest_checkpoint_and_keeps_it_aside(tmp_path, damage):
    # the machine died while the step-6 checkpoint was written: resume from step 4, say so
    straight = make_trainer(tmp_path / "a", "train.steps=6", *RESUME)
    straight.fit()
    make_trainer(tmp_path / "b", "train.steps=6", "train.checkpoint_every=2", *RESUME).fit()
    newest = latest_checkpoint(tmp_path / "b")
    data = newest.read_bytes()
    broken = data[: len(data) // 2] if damage == "truncated" else b""
    newest.write_bytes(broken)
    resumed = make_trainer(tmp_path / "b", "train.steps=6", *RESUME, resume=True, model_seed=9)
    with pytest.warns(UserWarning, match=r"step-00000006\.safetensors cannot be read") as seen:
        resumed.fit()
    assert "Resuming from the previous checkpoint" in str(seen[0].message)
    assert (newest.parent / "step-00000006.safetensors.corrupt").read_bytes() == broken
    assert resumed.step == 6
    assert_identical(full_state(straight), full_state(resumed))
