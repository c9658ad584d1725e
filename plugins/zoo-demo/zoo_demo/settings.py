"""What the demo trains and how long: one place for every number (no torch here).

The demo must finish within 5 minutes on 2 CPU cores, so the schedule of beers-pggan-mni152
(grown to 128 x 128, 1,000 batches per resolution: under an hour) is shortened through
ordinary config overrides: the same networks, loss and progressive growing, stopped at
4 -> 8 -> 16 -> 32 with narrower layers and fewer batches per resolution. Everything else
is the registered config, so what the demo publishes is an ordinary zoo model whose
config.yaml records the shortened schedule.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from zoo_core.plugin_api import ConfigError

#: The registered model the demo trains (zoo-pggan's demo-scale config of Beers et al.).
MODEL_ID = "beers-pggan-mni152"
#: The id it is published under in the local-directory hub, and loaded back by.
REPO_ID = "demo/beers-pggan-mni152"
#: Generator updates. Chosen by looking at the samples and by the CPU time it takes: see
#: the package README for the measurements behind it.
DEFAULT_STEPS = 800
#: The demo's final resolution and filters (the registered config grows to 128 with 64 filters).
RESOLUTION = 32
FILTERS = 32
#: Samples generated, written and evaluated.
DEFAULT_SAMPLES = 64
#: MNI152 at 2 mm: 61 axial slices with >= 10 % brain. At 32 x 32 pixels 1 mm slices add
#: nothing but near-duplicates (and slow the FID's Inception pass down).
MNI152_MM = 2
#: Adam's learning rate for generator and critic. The paper's 0.001 needs thousands of steps
#: per resolution: after 100 + 100 steps at 4 and 8 px its samples were still noise, and
#: after 800 steps in all boxy blobs. 0.003 gives oval brains with a grey-matter rim and
#: white matter inside after 800 steps (looked at side by side; see the package README).
LEARNING_RATE = 0.003
#: Exponential moving average of the generator weights (Karras et al. publish the EMA
#: generator). A short horizon suits a run of a few hundred steps.
EMA_DECAY = 0.99
#: Samples shown in the montage (4 x 4 grid, each with its grey/white-matter maps).
MONTAGE_SAMPLES = 16
#: Montage pixels per generated pixel (nearest neighbour: the tiles stay honest 32 x 32).
MONTAGE_SCALE = 4


@dataclass(frozen=True)
class DemoSettings:
    """The knobs of one demo run. ``eval_real`` limits the real slices FID/KID compare with
    (evenly spaced; None: all), for quick runs such as the tests."""

    steps: int = DEFAULT_STEPS
    samples: int = DEFAULT_SAMPLES
    seed: int = 0
    eval_real: int | None = None

    def check(self, levels: int) -> None:
        if self.steps < levels:
            raise ConfigError(
                f"--steps {self.steps} is too few: the model grows through {levels} "
                f"resolutions and needs at least one step at each (--steps {levels} or more)."
            )
        if self.samples < 2:
            raise ConfigError(f"--samples {self.samples}: diversity needs at least 2 samples.")
        if self.eval_real is not None and self.eval_real < 2:
            raise ConfigError(f"eval_real={self.eval_real}: FID/KID need at least 2 images.")

    def schedule(self, levels: int) -> tuple[int, int]:
        """``(fade_in_steps, stabilise_steps)``: the steps shared equally by the resolutions,
        half fading the new block in and half training it alone, as the paper does."""
        per_level = self.steps // levels
        fade = max(1, (per_level + 1) // 2)
        return fade, max(0, per_level - fade)

    def overrides(self, levels: int) -> list[str]:
        """Dotlist overrides on top of the registered config."""
        self.check(levels)
        fade, stabilise = self.schedule(levels)
        return [
            f"model.max_resolution={RESOLUTION}",
            f"model.filters={FILTERS}",
            "model.filters_at=[]",
            f"train.batch_size_at=[[{RESOLUTION}, 8]]",
            f"train.steps={self.steps}",
            f"train.fade_in_steps={fade}",
            f"train.stabilise_steps={stabilise}",
            f"train.ema_decay={EMA_DECAY}",
            f"train.optimizer_g.lr={LEARNING_RATE}",
            f"train.optimizer_d.lr={LEARNING_RATE}",
            f"train.seed={self.seed}",
            f"train.log_every={max(1, self.steps // 80)}",
            f"train.checkpoint_every={fade + stabilise}",  # one per resolution: Ctrl-C resumes
            # The latent encoder is trained by a separate command (`zoo pggan train-encoder`),
            # not by the GAN loop: leaving it out keeps untrained weights out of the release.
            "model.encoder=false",
        ]


@dataclass(frozen=True)
class Layout:
    """Where each stage writes, under the demo's output folder."""

    root: Path

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def training(self) -> Path:
        return self.root / "training"

    @property
    def hub(self) -> Path:
        return self.root / "hub"

    @property
    def samples(self) -> Path:
        return self.root / "samples"

    @property
    def evaluation(self) -> Path:
        return self.root / "evaluation"

    @property
    def montage(self) -> Path:
        return self.root / "montage.png"

    @property
    def summary(self) -> Path:
        return self.root / "summary.json"

    def owned(self) -> list[Path]:
        """Everything the demo writes: what ``--force`` removes (and nothing else)."""
        return [
            self.data,
            self.training,
            self.hub,
            self.samples,
            self.evaluation,
            self.montage,
            self.summary,
        ]
