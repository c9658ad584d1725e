"""What the suite measures: which model ids, with which overrides, in quick and full runs.

Every id is built with ``zoo.load(id, pretrained=False)`` at the paper's configuration, so the
figures are those of the published architecture at the paper's resolution. Overrides only
switch off things a benchmark cannot have offline and that do not change the generator
(ImageNet VGG weights for perceptual/style losses are replaced by random ones: same FLOPs).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Bench:
    model_id: str
    family: str  # "seed" (the zoo's four papers) or "classic"
    overrides: tuple[str, ...] = ()
    quick: bool = True  # also in --quick runs
    train_quick: bool = True
    note: str = ""
    tags: tuple[str, ...] = field(default=())


RANDOM_VGG_STYLE = ("train.vgg_allow_random=true",)
RANDOM_VGG_MGAN = ("model.allow_random_vgg=true",)

BENCHES: tuple[Bench, ...] = (
    # Seed architectures at the paper's resolution.
    Bench("beers-pggan-rop", "seed", note="512x512, RGB + vessel map, fully grown"),
    Bench("beers-pggan-brats", "seed", note="256x256, 4 MR sequences + 3 label maps"),
    Bench("mangalagiri-cgan3d-denoise", "seed", note="32^3 CT blocks"),
    Bench(
        "mangalagiri-cgan3d-autoencode",
        "seed",
        quick=False,
        train_quick=False,
        note="same generator as -denoise",
    ),
    Bench(
        "mangalagiri-cgan3d-depixelate",
        "seed",
        quick=False,
        train_quick=False,
        note="same generator as -denoise",
    ),
    Bench("sanchez-srgan3d", "seed", note="32^3 -> 64^3 MR patches (x2)"),
    Bench(
        "krishna-stylecgan-ct",
        "seed",
        RANDOM_VGG_STYLE,
        note="512x512 CT; random VGG-19 in the loss (same FLOPs as ImageNet weights)",
    ),
    # Classic families (small 2D GANs on 32-128 px): cheap ones also in --quick.
    Bench("radford-dcgan-mni152", "classic", train_quick=False),
    Bench("arjovsky-wgan-mni152", "classic", train_quick=False),
    Bench("gulrajani-wgangp-mni152", "classic", train_quick=False),
    Bench("odena-acgan-mni152", "classic", train_quick=False),
    Bench("mirza-cgan-mni152", "classic", train_quick=False),
    Bench("chen-infogan-mni152", "classic", train_quick=False),
    Bench(
        "li-mgan-mni152",
        "classic",
        RANDOM_VGG_MGAN,
        quick=False,
        train_quick=False,
        note="random VGG-19 encoder weights (same FLOPs)",
    ),
    Bench("zhu-cyclegan-mrct", "classic", quick=False, train_quick=False, note="256x256, 97 GFLOP"),
    Bench("hiasa-cyclegan-mrct", "classic", quick=False, train_quick=False),
)

#: The whole-volume pipeline: the paper's 3D cGAN, or (--quick) the demo-scale one.
VOLUME_MODEL = "mangalagiri-cgan3d-denoise"
VOLUME_MODEL_QUICK = "mangalagiri-cgan3d-headct"
VOLUME_SHAPE = (512, 512, 300)
#: zoo.load from a warm cache: the 2D seed model with the largest published files.
LOAD_MODEL = "beers-pggan-rop"
#: Streamed 10,000 times through SyntheticDataset (the dataset part).
DATASET_MODEL = "radford-dcgan-mni152"


@dataclass(frozen=True)
class Settings:
    """How hard each measurement tries; --quick trades repeats for wall time."""

    quick: bool
    repeats: int  # timed calls per figure (best of)
    per_batch_warmup: bool  # an untimed call at every new batch size
    warmup_below_s: float  # ...or only where the call is predicted to take less than this
    repeat_budget_s: float  # stop repeating a figure once its timed calls took this long
    matmul_n_cpu: int
    matmul_repeats: int
    cpu_max_batch: int  # the largest batch tried on CPU
    call_budget_s: float  # the largest CPU batch is one whose call is predicted to fit this
    train_batch: int | None  # None: the paper's batch size; else this one (quick)
    train_steps: int  # timed training steps (after one warm-up step)
    train_single_step_above_s: float  # a first step slower than this is the only one timed
    list_repeats: int
    load_repeats: int
    worker_timeout_s: float


QUICK = Settings(
    quick=True,
    repeats=3,
    per_batch_warmup=False,
    warmup_below_s=1.5,
    repeat_budget_s=2.0,
    matmul_n_cpu=2048,
    matmul_repeats=5,
    cpu_max_batch=16,
    call_budget_s=4.0,
    train_batch=1,
    train_steps=1,
    train_single_step_above_s=8.0,
    list_repeats=3,
    load_repeats=3,
    worker_timeout_s=600,
)

FULL = Settings(
    quick=False,
    repeats=5,
    per_batch_warmup=True,
    warmup_below_s=float("inf"),
    repeat_budget_s=60.0,
    matmul_n_cpu=4096,
    matmul_repeats=5,
    cpu_max_batch=256,
    call_budget_s=60.0,
    train_batch=None,
    train_steps=2,
    train_single_step_above_s=float("inf"),
    list_repeats=7,
    load_repeats=5,
    worker_timeout_s=7200,
)


def selected(quick: bool, installed: set[str], kind: str = "inference") -> list[Bench]:
    """The benches of this run whose model is installed (``zoo list`` knows the id)."""
    out = []
    for bench in BENCHES:
        if bench.model_id not in installed:
            continue
        if quick and not (bench.quick if kind == "inference" else bench.train_quick):
            continue
        out.append(bench)
    return out
