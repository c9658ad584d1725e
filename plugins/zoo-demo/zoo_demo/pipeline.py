"""The demo from start to end: ``run_demo(out)`` is what ``zoo demo`` runs.

1. build a small real dataset (nilearn's MNI152 T1 with grey/white-matter maps);
2. train beers-pggan-mni152 with the normal trainer (``zoo.train``), shortened to fit;
3. publish it with its model card to a local-directory hub and load it back by id;
4. generate samples (PNG + NIfTI + provenance), evaluate them, draw a montage;
5. report where everything is.

Every stage reuses what an earlier run left when it is still valid (the dataset, a finished
training run with the same settings, an identical published commit, an evaluation of the
same images), so a second run is quick and still goes through every stage; ``force``
starts over.
"""

from __future__ import annotations

import json
import math
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zoo_core.plugin_api import ZooError
from zoo_demo.display import Display, StageClock
from zoo_demo.settings import (
    MNI152_MM,
    MODEL_ID,
    MONTAGE_SAMPLES,
    MONTAGE_SCALE,
    REPO_ID,
    RESOLUTION,
    DemoSettings,
    Layout,
)

MNI152_KEYS = ("t1", "gm", "wm")


@dataclass
class DemoResult:
    """Where everything is; :meth:`to_json` is what ``zoo demo --json`` prints."""

    model_id: str
    base_model: str
    hub: Path
    source: str
    commit: str
    data: Path
    checkpoint: Path
    loss_plot: Path
    losses_csv: Path
    samples: dict[str, dict[str, Any]]
    montage: Path
    metrics: dict[str, Path]
    scores: dict[str, float]
    reused: dict[str, bool]
    settings: dict[str, Any]
    seconds: dict[str, dict[str, float]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        def plain(value: Any) -> Any:
            if isinstance(value, Path):
                return str(value)
            if isinstance(value, dict):
                return {k: plain(v) for k, v in value.items()}
            if isinstance(value, list | tuple):
                return [plain(v) for v in value]
            if isinstance(value, float) and not math.isfinite(value):
                return str(value)
            return value

        return plain(
            {
                "model_id": self.model_id,
                "base_model": self.base_model,
                "hub": self.hub,
                "source": self.source,
                "commit": self.commit,
                "data": self.data,
                "checkpoint": self.checkpoint,
                "loss_plot": self.loss_plot,
                "losses_csv": self.losses_csv,
                "samples": self.samples,
                "montage": self.montage,
                "metrics": self.metrics,
                "scores": self.scores,
                "reused": self.reused,
                "settings": self.settings,
                "seconds": self.seconds,
            }
        )


# -- stage 1 ----------------------------------------------------------------------------------


def prepare_data(layout: Layout) -> tuple[Path, bool]:
    """``data/mni152/mni152_{t1,gm,wm}.nii.gz`` (+ labels.csv), built once.

    Written to a side folder and moved into place, so an interrupted run never leaves a
    half-written dataset that a later run would take as complete.
    """
    from zoo_pggan.prepare import prepare_mni152

    wanted = [layout.data / "mni152" / f"mni152_{k}.nii.gz" for k in MNI152_KEYS]
    if all(p.is_file() for p in [*wanted, layout.data / "labels.csv"]):
        return layout.data, True
    incoming = layout.root / ".data-incoming"
    shutil.rmtree(incoming, ignore_errors=True)
    prepare_mni152(incoming, resolution=MNI152_MM)
    shutil.rmtree(layout.data, ignore_errors=True)
    os.replace(incoming, layout.data)
    return layout.data, False


# -- stage 2 ----------------------------------------------------------------------------------


def levels_of(cfg: Any) -> int:
    """Resolutions the demo's model grows through (4 -> 32: 4): from the registered start
    to the demo's own :data:`~zoo_demo.settings.RESOLUTION`."""
    return int(math.log2(RESOLUTION // int(cfg.model.start_resolution))) + 1


def _same_config(saved_yaml: str, cfg: Any) -> bool:
    from omegaconf import OmegaConf

    saved = OmegaConf.to_container(OmegaConf.create(saved_yaml), resolve=True)
    return saved == OmegaConf.to_container(cfg, resolve=True)


def train(
    layout: Layout, settings: DemoSettings, progress: bool, display: Display
) -> tuple[Path, bool]:
    """``(final checkpoint, reused)``: ``zoo.train`` with resume, so a finished run with the
    same settings is found and returned as it is (an interrupted one continues)."""
    from zoo_core import train as zoo_train
    from zoo_core.plugin_api import latest_checkpoint, model_config, read_metadata

    base = model_config(MODEL_ID)
    overrides = settings.overrides(levels_of(base))
    cfg = model_config(MODEL_ID, overrides)
    fade, stabilise = settings.schedule(levels_of(base))
    display.note(
        f"{settings.steps} steps: {fade} fade-in + {stabilise} stabilise per resolution, "
        f"batch {cfg.train.batch_size} (8 at 32 px), WGAN-GP, Adam lr "
        f"{cfg.train.optimizer_g.lr}, EMA {cfg.train.ema_decay}"
    )
    found = latest_checkpoint(layout.training)
    finished = False
    if found is not None:
        meta = read_metadata(found)
        if _same_config(meta.get("config", ""), cfg):
            step = int(json.loads(meta.get("state", "{}")).get("step", -1))
            finished = step >= settings.steps
        else:
            display.note("the settings changed since the last run: training starts over")
            shutil.rmtree(layout.training)
            found = None
    checkpoint = zoo_train(
        MODEL_ID,
        data=layout.data,
        overrides=overrides,
        out_dir=layout.training,
        resume=found is not None,
        progress=progress,
    )
    return checkpoint, finished


# -- stage 4 ----------------------------------------------------------------------------------


def pixel_spacing(layout: Layout, size: int) -> float:
    """mm per generated pixel: the slices were padded square and shrunk to ``size``."""
    import nibabel as nib

    image = nib.load(str(layout.data / "mni152" / "mni152_t1.nii.gz"))
    shape, zooms = image.shape, image.header.get_zooms()
    return max(shape[0] * zooms[0], shape[1] * zooms[1]) / size


def _scores(result: dict[str, Any]) -> dict[str, float]:
    keep = ("fid", "kid", "diversity_ms_ssim", "diversity_ms_ssim_real", "memorisation_ratio")
    return {k: v for k, v in result["metrics"].items() if k in keep}


# -- the whole run ----------------------------------------------------------------------------


def _clear(layout: Layout) -> None:
    for path in layout.owned():
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)


@contextmanager
def single_thread_when_busy(display: Display) -> Iterator[None]:
    """On a machine already running more than it has cores, train and evaluate in one thread.

    torch uses one thread per core; its threads wait on each other at every operation, so
    when other processes hold the cores each small convolution waits for a descheduled
    sibling. Measured on a shared 2-core machine (load 6): with 2 threads training was
    past step 400 of 800 after 10 minutes (410 CPU-s burnt); with one thread the whole demo
    took 4 min 9 s (167 CPU-s). An explicit OMP_NUM_THREADS is left alone.
    """
    import torch

    before = torch.get_num_threads()
    cores = os.cpu_count() or 1
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    busy = before > 1 and load >= cores and "OMP_NUM_THREADS" not in os.environ
    if busy:
        display.note(
            f"the machine is busy (load {load:.1f} on {cores} cores): running in one thread"
        )
        torch.set_num_threads(1)
    try:
        yield
    finally:
        if busy:
            torch.set_num_threads(before)


def _console(console: Any, quiet: bool) -> Any:
    if console is not None:
        return console
    from rich.console import Console

    return Console(quiet=quiet)


def run_demo(
    out: str | Path = "demo-output",
    *,
    steps: int | None = None,
    samples: int | None = None,
    seed: int = 0,
    eval_real: int | None = None,
    force: bool = False,
    progress: bool = True,
    console: Any = None,
) -> DemoResult:
    """Run the five stages into ``out`` and return where everything is.

    ``steps``/``samples`` default to :mod:`zoo_demo.settings`; ``eval_real`` limits the real
    slices that FID/KID compare with. ``progress=False`` hides the progress bars; ``console``
    is a rich Console to report on (default: stdout).
    """
    import zoo_core as zoo
    from zoo_demo import evaluation
    from zoo_demo import publish as pub
    from zoo_demo import samples as smp
    from zoo_demo.settings import DEFAULT_SAMPLES, DEFAULT_STEPS

    settings = DemoSettings(
        steps=DEFAULT_STEPS if steps is None else int(steps),
        samples=DEFAULT_SAMPLES if samples is None else int(samples),
        seed=int(seed),
        eval_real=eval_real,
    )
    from zoo_core.plugin_api import model_spec

    try:
        model_spec(MODEL_ID)
    except ZooError:
        raise ZooError(
            f"zoo demo trains {MODEL_ID}, which the zoo-pggan plugin registers; install it "
            "(pip install -e plugins/zoo-pggan) and check `zoo plugins`."
        ) from None
    from zoo_core.plugin_api import model_config

    settings.check(levels_of(model_config(MODEL_ID)))  # before anything is written
    layout = Layout(Path(out).expanduser().resolve())
    if layout.root.exists() and not layout.root.is_dir():
        raise ZooError(f"--out {layout.root} is a file; give a folder.")
    display = Display(_console(console, quiet=False))
    clock = StageClock()
    if force:
        _clear(layout)
    layout.root.mkdir(parents=True, exist_ok=True)

    with single_thread_when_busy(display):
        display.header(1)
        with clock.stage("dataset"):
            data, data_reused = prepare_data(layout)
        display.done(
            f"{'reused' if data_reused else 'wrote'} MNI152 2009a T1 + GM + WM at {MNI152_MM} mm "
            f"in {data}",
            clock,
            "dataset",
        )

        display.header(2)
        with clock.stage("training"):
            checkpoint, trained_before = train(layout, settings, progress, display)
        display.done(
            f"{'reused the finished run' if trained_before else 'trained'}: {checkpoint}",
            clock,
            "training",
        )

        display.header(3)
        with clock.stage("publish_and_load"):
            published = pub.publish(checkpoint, REPO_ID, layout.hub, settings.steps)
            model = pub.load_published(REPO_ID, layout.hub)
        display.done(
            f"{'reused identical commit' if published.reused else 'pushed commit'} "
            f"{published.commit[:12]} of {REPO_ID} to {published.source}; "
            f"zoo.load({REPO_ID!r}) checked its sha256s and built it",
            clock,
            "publish_and_load",
        )

        display.header(4)
        with clock.stage("generate_and_evaluate"):
            images = zoo.generate(
                model, n=settings.samples, seed=settings.seed, batch_size=16, progress=progress
            )
            spacing = pixel_spacing(layout, images.shape[-1])
            written = smp.write_samples(
                model, images, layout.samples, seed=settings.seed, spacing_mm=spacing
            )
            montage = smp.save_montage(
                model, images, layout.montage, MONTAGE_SAMPLES, MONTAGE_SCALE
            )
            display.note(
                f"{settings.samples} samples x (T1 + grey + white matter) as PNG and NIfTI "
                f"({spacing:.2f} mm pixels) in {layout.samples}; montage {montage}"
            )
            outputs = smp.card_outputs(model)
            names = [c for o in outputs for c in o.channels]
            real = evaluation.real_slices(model, data, settings.eval_real)
            display.note(
                f"evaluating {len(images)} generated vs {len(real)} real slices "
                "(Inception on CPU: the slowest step)"
            )
            result, eval_reused = evaluation.evaluate(
                model,
                real,
                images,
                outputs[0].index,
                names,
                layout.evaluation,
                seed=settings.seed,
                value_range=smp.value_range(model),
            )
        scores = _scores(result)
        display.done(
            ("reused the evaluation of these same images: " if eval_reused else "")
            + ", ".join(f"{k} {v:.4g}" for k, v in scores.items() if isinstance(v, float)),
            clock,
            "generate_and_evaluate",
        )

        demo = DemoResult(
            model_id=REPO_ID,
            base_model=MODEL_ID,
            hub=layout.hub,
            source=published.source,
            commit=published.commit,
            data=data,
            checkpoint=checkpoint,
            loss_plot=layout.training / "losses.png",
            losses_csv=layout.training / "losses.csv",
            samples={
                fmt: {
                    "dir": written.folders[fmt],
                    "provenance": written.provenance[fmt],
                    "files": written.files[fmt],
                }
                for fmt in written.folders
            },
            montage=montage,
            metrics={
                "json": layout.evaluation / "metrics.json",
                "markdown": layout.evaluation / "metrics.md",
                "memorisation": layout.evaluation / "memorisation.png",
            },
            scores=scores,
            reused={
                "dataset": data_reused,
                "training": trained_before,
                "published_commit": published.reused,
                "evaluation": eval_reused,
            },
            settings={"steps": settings.steps, "samples": settings.samples, "seed": settings.seed},
            seconds=clock.seconds,
        )
        layout.summary.write_text(json.dumps(demo.to_json(), indent=2) + "\n")

        display.header(5)
        display.outputs(
            [
                ("published model", f"{REPO_ID} @ {published.commit[:12]}"),
                ("hub", layout.hub),
                ("checkpoint", checkpoint),
                ("loss plot", demo.loss_plot),
                ("samples (PNG)", written.folders["png"]),
                ("samples (NIfTI)", written.folders["nifti"]),
                ("provenance", written.provenance["png"]),
                ("montage", montage),
                ("metrics", demo.metrics["markdown"]),
                ("memorisation check", demo.metrics["memorisation"]),
                ("summary (JSON)", layout.summary),
            ]
        )
        display.note(f'load it again: zoo.load("{REPO_ID}", source="{published.source}")')
        return demo
