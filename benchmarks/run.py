"""The zoo's benchmark suite, measured against this machine's own limits.

    python benchmarks/run.py [--quick] [--device cpu|cuda] [--json PATH] [--only PART ...]
                             [--dtype fp32|bf16|both] [--peer PATH]

Prints a Markdown table and (with ``--json``) writes one record per figure: ``name``,
``value``, ``unit``, ``target`` and ``met`` (plus context: model, batch, load average...).

The reference for every throughput figure is measured in the same run: the rate of a large
square ``torch.mm`` in the same precision (fp32, or bf16 inputs and output for the bf16
figures; warmed up, best of several, before and after the models, in the worker process that
runs them), so a ratio says how much of what this machine can do the generator gets,
whatever the machine.
Each memory figure comes from a fresh process (``worker.py``), because a process's peak
resident set only grows. This script itself never imports torch: it only orchestrates, so
the CUDA context of a worker never meets a forked parent's.

Targets (reported as met or not, never lowered): generator throughput >= 60 % of the fp32
matrix multiply rate at batch >= 8 in fp32 and >= 35 % of the bf16 rate in bf16; bf16 outputs
within 35 dB PSNR of fp32 ones; no batch slower per image than batch 1; a training step >= 3x
faster in bf16 than in fp32; the PGGAN >= 2x (fp32) and >= 4x (bf16) the images/s of the
reference PGAN (``--peer``); the 512x512x300 volume in < 2 GiB peak resident memory with the
whole-volume pipeline at >= 80 % of the raw block throughput; ``zoo list`` in < 0.3 s.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import fnmatch
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import suite  # noqa: E402

PARTS = ("inference", "train", "volume", "cli", "load", "dataset", "peer")
DTYPE_CHOICES = {"fp32": ["fp32"], "bf16": ["bf16"], "both": ["fp32", "bf16"]}
MM_TARGET = 0.60
#: Throughput against the matrix-multiply rate of the same precision, at batch >= 8.
MM_TARGETS = {"fp32": MM_TARGET, "bf16": 0.35}
#: bf16 outputs against fp32 outputs (same weights, same seed), over the value range.
PSNR_TARGET_DB = 35.0
#: One training step: fp32 time over bf16 time.
TRAIN_BF16_SPEEDUP = 3.0
#: The zoo's PGGAN against the peer's generator (--peer), images/s over images/s.
PEER_TARGETS = {"fp32": 2.0, "bf16": 4.0}
#: The reference PGAN run side by side (--peer) and its batch.
PEER_MODEL = "beers-pggan-rop"
PEER_BATCH = 8
VOLUME_RSS_TARGET_MIB = 2048.0
PIPELINE_TARGET = 0.80
LIST_TARGET_S = 0.3
#: SyntheticDataset streaming: resident memory at the end within 10 % of that after warm-up.
DATASET_RSS_GROWTH = 0.10


def log(message: str) -> None:
    print(f"[run {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# -- records --------------------------------------------------------------------------------


class Records:
    """One dict per figure: name, value, unit, target, met, and context fields."""

    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []

    def add(
        self,
        name: str,
        value: float | None,
        unit: str,
        target: str | None = None,
        met: bool | None = None,
        **context: Any,
    ) -> None:
        if target is not None and value is None:
            met = False
        self.items.append(
            {"name": name, "value": value, "unit": unit, "target": target, "met": met, **context}
        )

    def error(self, name: str, message: str, target: str | None = None, **context: Any) -> None:
        self.add(name, None, "", target, False if target else None, error=message, **context)


def fmt(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        if value == 0:
            return "0"
        if abs(value) >= 100:
            return f"{value:,.0f}"
        if abs(value) >= 1:
            return f"{value:.3g}" if abs(value) < 10 else f"{value:.1f}"
        return f"{value:.3g}"
    return str(value)


def markdown(records: list[dict[str, Any]]) -> str:
    lines = ["| figure | value | unit | target | met |", "|---|---:|---|---|:-:|"]
    for r in records:
        met = {True: "yes", False: "**no**", None: ""}[r["met"]]
        value = fmt(r["value"]) if "error" not in r else f"error: {r['error'][:60]}"
        lines.append(f"| {r['name']} | {value} | {r['unit']} | {r['target'] or ''} | {met} |")
    return "\n".join(lines)


# -- running workers ------------------------------------------------------------------------


def run_worker(
    task: str, params: dict[str, Any], timeout: float, env: dict[str, str] | None = None
) -> tuple[dict[str, Any] | None, str | None, float]:
    """Run one worker task in a fresh interpreter; (result, error, wall seconds)."""
    with tempfile.TemporaryDirectory(prefix="zoo-bench-") as tmp:
        in_path, out_path = Path(tmp) / "in.json", Path(tmp) / "out.json"
        in_path.write_text(json.dumps(params))
        # Offline unless a part brings its own Hub: a model that looks for optional weights
        # (VGG-19 for style losses) must not spend the run retrying huggingface.co.
        full_env = {**os.environ, "PYTHONWARNINGS": "ignore", "HF_HUB_OFFLINE": "1", **(env or {})}
        cmd = [sys.executable, str(HERE / "worker.py"), task, str(in_path), str(out_path)]
        started = time.perf_counter()
        try:
            proc = subprocess.run(cmd, env=full_env, stdout=sys.stderr, timeout=timeout)
        except subprocess.TimeoutExpired:
            return None, f"timed out after {timeout:.0f} s", time.perf_counter() - started
        wall = time.perf_counter() - started
        if proc.returncode != 0 or not out_path.exists():
            return None, f"worker {task} exited with {proc.returncode}", wall
        return json.loads(out_path.read_text()), None, wall


def best_wall(cmd: list[str], repeats: int) -> tuple[float, list[float], float]:
    """Best wall time of a command over runs, all wall times, and the CPU time of the best.

    CPU time (user + sys of the child) barely moves with the machine's load, while wall time
    on a busy machine includes waiting for a core: both are reported.
    """
    import resource

    times, cpu = [], []
    for _ in range(repeats):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    best = min(range(len(times)), key=times.__getitem__)
    return times[best], times, cpu[best]


# -- parts ------------------------------------------------------------------------------------


def _per_image_vs_b1(runs: list[dict[str, Any]]) -> dict[int, float]:
    """Per-image time at each batch over the per-image time at batch 1 (<= 1: not slower)."""
    one = next((r["seconds"] for r in runs if r["batch"] == 1), None)
    if not one:
        return {}
    return {r["batch"]: (r["seconds"] / r["batch"]) / one for r in runs if r["batch"] > 1}


def part_inference(ctx: dict[str, Any], rec: Records) -> float | None:
    benches = ctx["benches"]
    dtypes = ctx["dtypes"]
    params = {
        "device": ctx["device"],
        "settings": ctx["settings"],
        "benches": [dataclasses.asdict(b) for b in benches],
        "profile": ctx["profile"],
        "dtypes": dtypes,
    }
    log(f"inference: {len(benches)} model(s) in {'+'.join(dtypes)}, in one process")
    result, error, wall = run_worker("inference", params, ctx["timeout"])
    if result is None:
        for dtype in dict.fromkeys(["fp32", *dtypes]):
            rec.error(f"machine/{dtype}_matmul", error or "failed")
        return None
    rates: dict[str, float] = {}
    for dtype, measured in result["matmul"].items():
        rates[dtype] = max(measured["start"], measured["end"])
        rec.add(
            f"machine/{dtype}_matmul",
            rates[dtype],
            "GFLOP/s",
            dtype=dtype,
            n=result["matmul_n"],
            start=measured["start"],
            end=measured["end"],
            threads=result["threads"],
            note=f"square torch.mm ({dtype} inputs and output), best of runs before and after "
            "the models in the same process; the best is the reference",
        )
    mm = rates["fp32"]
    notes = {b.model_id: b.note for b in benches}
    for model in result["models"]:
        mid = model["model_id"]
        dtype = model.get("dtype", "fp32")
        # fp32 figures keep their names (comparable with earlier runs); bf16 ones say so
        prefix = f"infer/{mid}" if dtype == "fp32" else f"infer/{mid}/{dtype}"
        mm_target = MM_TARGETS[dtype]
        if dtype != "fp32":
            _psnr_record(rec, mid, model.get("psnr_vs_fp32"))
        if "error" in model:
            rec.error(
                prefix, model["error"], target=f">= {mm_target:.2f} of {dtype} mm", dtype=dtype
            )
            continue
        flops = model["flops_per_sample"]
        context = {
            "model": mid,
            "dtype": dtype,
            "output_shape": model["output_shape"],
            "note": notes.get(mid),
        }
        rec.add(f"{prefix}/flops_per_sample", flops / 1e9, "GFLOP/sample", **context)
        ratios = _per_image_vs_b1(model["runs"])
        for run in model["runs"]:
            b, seconds = run["batch"], run["seconds"]
            tag = f"b{b}" + (" (largest)" if run.get("largest") else "")
            ctx_b = {
                **context,
                "batch": b,
                "seconds_per_call": seconds,
                "largest": bool(run.get("largest")),
                "largest_limit": model.get("largest_batch_limit") if run.get("largest") else None,
                "per_batch_warmup": run["per_batch_warmup"],
                "loadavg": model.get("loadavg"),
            }
            if model["dims"] == 3:
                rec.add(f"{prefix}/{tag}/blocks_per_s", b / seconds, "blocks/s", **ctx_b)
                rec.add(
                    f"{prefix}/{tag}/voxels_per_s",
                    b * model["voxels_per_sample"] / seconds,
                    "voxels/s",
                    **ctx_b,
                )
            else:
                rec.add(f"{prefix}/{tag}/images_per_s", b / seconds, "images/s", **ctx_b)
            gflops = b * flops / seconds / 1e9
            rec.add(f"{prefix}/{tag}/gflops", gflops, "GFLOP/s", **ctx_b)
            ratio = gflops / rates[dtype]
            target = f">= {mm_target:.2f}" if b >= 8 else None
            rec.add(
                f"{prefix}/{tag}/vs_matmul",
                ratio,
                f"x {dtype} mm",
                target,
                (ratio >= mm_target) if target else None,
                **ctx_b,
            )
            if b in ratios:
                rec.add(
                    f"{prefix}/{tag}/per_image_vs_b1",
                    ratios[b],
                    "x b1 time/image",
                    **ctx_b,
                    how="(seconds per call / batch) / seconds of a batch-1 call; < 1: faster "
                    "per image than batch 1",
                )
        if ratios:
            worst_batch = max(ratios, key=ratios.__getitem__)
            worst = ratios[worst_batch]
            rec.add(
                f"{prefix}/larger_batch_not_slower",
                worst,
                "x b1 time/image",
                "per-image time at every batch > 1 <= batch-1 time",
                worst <= 1.0,
                **context,
                worst_batch=worst_batch,
                ratios={str(b): r for b, r in ratios.items()},
                loadavg=model.get("loadavg"),
                how="the worst (largest) per-image time over batch 1's, over the batches timed",
            )
    if result.get("profiles"):
        ctx["profiles"] = result["profiles"]
    log(f"inference done in {wall:.0f} s")
    return mm


def _psnr_record(rec: Records, mid: str, psnr: dict[str, Any] | None) -> None:
    name, target = f"infer/{mid}/bf16/psnr_vs_fp32", f">= {PSNR_TARGET_DB:.0f} dB"
    how = (
        "bf16 model (zoo.load dtype=bf16) with the fp32 model's state dict, same seed and "
        "condition; 10 log10(range^2 / MSE) over the model's value range"
    )
    if not psnr or "error" in psnr:
        rec.error(name, (psnr or {}).get("error", "not measured"), target=target, model=mid)
        return
    value = psnr["psnr_db"]
    if not math.isfinite(value):
        rec.error(name, "bf16 outputs identical to fp32: bf16 did not run", target, model=mid)
        return
    rec.add(
        name,
        value,
        "dB",
        target,
        value >= PSNR_TARGET_DB,
        model=mid,
        dtype="bf16",
        samples=psnr["samples"],
        value_range=psnr["value_range"],
        max_abs_diff=psnr["max_abs_diff"],
        how=how,
    )


def part_train(ctx: dict[str, Any], rec: Records) -> None:
    for bench in ctx["train_benches"]:
        mid = bench.model_id
        step_s: dict[str, float] = {}
        for precision in ctx["dtypes"]:
            result = _train_one(ctx, rec, bench, precision)
            if result is not None:
                step_s[precision] = result["step_s"]
        if "fp32" in ctx["dtypes"] and "bf16" in ctx["dtypes"]:
            name, target = f"train/{mid}/bf16_speedup", f">= {TRAIN_BF16_SPEEDUP:.2f}"
            if len(step_s) < 2:
                rec.error(name, "a training step failed (see above)", target, model=mid)
                continue
            speedup = step_s["fp32"] / step_s["bf16"]
            rec.add(
                name,
                speedup,
                "x fp32 step time",
                target,
                speedup >= TRAIN_BF16_SPEEDUP,
                model=mid,
                fp32_step_s=step_s["fp32"],
                bf16_step_s=step_s["bf16"],
                note=ctx.get("train_note", {}).get(mid),
                how="fp32 step time / bf16 step time (train.precision=bf16: autocast to "
                "bfloat16, float32 weights and optimiser), each in a fresh process, same "
                "trainer, batch and phase",
            )


def _train_one(
    ctx: dict[str, Any], rec: Records, bench: suite.Bench, precision: str
) -> dict[str, Any] | None:
    """One training step of one model in one precision, in a fresh process; its records."""
    mid = bench.model_id
    params = {
        "device": ctx["device"],
        "settings": ctx["settings"],
        "bench": dataclasses.asdict(bench),
        "precision": precision,
    }
    # fp32 figures keep their names (comparable with earlier runs); bf16 ones say so
    prefix = f"train/{mid}" if precision == "fp32" else f"train/{mid}/{precision}"
    log(f"train: {mid} in {precision} (fresh process)")
    result, error, wall = run_worker("train", params, ctx["timeout"])
    if result is None:
        rec.error(prefix, error or "failed", precision=precision)
        return None
    context = {
        "model": mid,
        "precision": precision,
        "autocast": result["amp_dtype"],
        "batch": result["batch"],
        "paper_batch": result["paper_batch"],
        "first_step_s": result["first_step_s"],
        "steps_timed": result["steps_timed"],
        "loadavg": result["loadavg"],
    }
    notes = []
    if result["batch"] != result["paper_batch"]:
        notes.append(f"--quick: batch {result['batch']} (paper: {result['paper_batch']})")
    if result.get("cold_step_only"):
        notes.append("--quick: one cold step timed (first step, includes warm-up)")
    if notes:
        context["note"] = "; ".join(notes)
        ctx.setdefault("train_note", {})[mid] = context["note"]
    rec.add(f"{prefix}/step_time", result["step_s"], "s/step", **context)
    rec.add(f"{prefix}/samples_per_s", result["batch"] / result["step_s"], "samples/s", **context)
    rec.add(
        f"{prefix}/peak_rss",
        result["peak_rss_mib"],
        "MiB",
        **context,
        how="ru_maxrss of a fresh process (imports, model, optimiser, step)",
    )
    rec.add(
        f"{prefix}/peak_rss_delta",
        result["peak_rss_delta_mib"],
        "MiB",
        **context,
        how="VmHWM during the steps minus VmRSS before them",
    )
    if result.get("cuda_peak_mib") is not None:
        rec.add(f"{prefix}/cuda_peak", result["cuda_peak_mib"], "MiB", **context)
    log(f"train {mid} ({precision}) done in {wall:.0f} s")
    return result


def part_volume(ctx: dict[str, Any], rec: Records) -> None:
    """The whole-volume pipeline in each precision of ``--dtype`` (bf16 records are named
    ``volume/bf16/...``), each in a fresh process on the same scan."""
    quick = ctx["settings"]["quick"]
    model_id = ctx["volume_model"] or (suite.VOLUME_MODEL_QUICK if quick else suite.VOLUME_MODEL)
    shape = list(suite.VOLUME_SHAPE)
    with tempfile.TemporaryDirectory(prefix="zoo-bench-ct-") as tmp:
        log(f"volume: making the {'x'.join(map(str, shape))} head CT")
        made, error, _ = run_worker("make_volume", {"shape": shape, "out_dir": tmp}, ctx["timeout"])
        if made is None:
            rec.error("volume/wall_time", error or "failed")
            return
        for dtype in ctx["dtypes"]:
            params = {
                "device": ctx["device"],
                "settings": ctx["settings"],
                "model_id": model_id,
                "path": made["path"],
                "sw_batch_size": ctx["sw_batch_size"],
                "overlap": ctx["overlap"],
                "dtype": dtype,
            }
            log(f"volume: {model_id} [{dtype}] through the whole-volume pipeline (fresh process)")
            result, error, wall = run_worker("volume", params, ctx["timeout"])
            prefix = "volume/" if dtype == "fp32" else f"volume/{dtype}/"
            _volume_records(rec, prefix, model_id, shape, result, error, wall)


def _volume_records(
    rec: Records,
    prefix: str,
    model_id: str,
    shape: list[int],
    result: dict[str, Any] | None,
    error: str | None,
    wall: float,
) -> None:
    if result is None:
        for name, target in (
            (f"{prefix}peak_rss", f"< {VOLUME_RSS_TARGET_MIB:.0f} MiB"),
            (f"{prefix}pipeline_vs_raw_blocks", f">= {PIPELINE_TARGET:.2f}"),
        ):
            rec.error(name, error or "failed", target=target)
        return
    note = None
    if model_id != suite.VOLUME_MODEL:
        note = (
            f"--quick: {model_id} (demo-scale widths 16-128, same U-Net pipeline) instead of "
            f"the paper's {suite.VOLUME_MODEL}; the volume is the full {'x'.join(map(str, shape))}"
        )
    context = {
        "model": model_id,
        "shape": result["shape"],
        "sw_batch_size": result["sw_batch_size"],
        "overlap": result["overlap"],
        "loadavg": result["loadavg"],
        "note": note,
    }
    # Raw block rate: the median of every raw call, before and after the pipeline (a busy
    # machine slows some calls; the median of both sets is the typical call of this run).
    raw_times = result["raw_before"]["times"] + result["raw_after"]["times"]
    raw_median = sorted(raw_times)[len(raw_times) // 2]
    raw = result["sw_batch_size"] * result["block"] ** 3 / raw_median
    rec.add(f"{prefix}wall_time", result["wall_s"], "s", **context, stages=result["stages"])
    rec.add(f"{prefix}voxels_per_s", result["voxels_per_s"], "voxels/s", **context)
    peak = result["peak_rss_mib"]
    rec.add(
        f"{prefix}peak_rss",
        peak,
        "MiB",
        f"< {VOLUME_RSS_TARGET_MIB:.0f} MiB",
        peak < VOLUME_RSS_TARGET_MIB,
        **context,
        rss_before_pipeline_mib=result["rss_before_pipeline_mib"],
        how="ru_maxrss of a fresh process: interpreter, torch, MONAI, model and the pipeline",
    )
    rec.add(
        f"{prefix}peak_rss_over_baseline",
        peak - result["rss_before_pipeline_mib"],
        "MiB",
        **context,
        how="peak minus the resident memory after imports and model build",
    )
    rec.add(
        f"{prefix}raw_block_voxels_per_s",
        raw,
        "voxels/s",
        **context,
        before=result["raw_before"],
        after=result["raw_after"],
        how=f"model.generate on {result['sw_batch_size']} blocks per call, median of the "
        "calls timed before and after the pipeline",
    )
    ratio = result["voxels_per_s"] / raw
    spread = max(raw_times) / min(raw_times)
    rec.add(
        f"{prefix}pipeline_vs_raw_blocks",
        ratio,
        "x raw",
        f">= {PIPELINE_TARGET:.2f}",
        ratio >= PIPELINE_TARGET,
        **context,
        raw_call_spread=spread,
        caution=(
            f"raw calls varied {spread:.1f}x (machine load): compare with "
            f"{prefix}pipeline_vs_in_pipeline_generator, which load does not skew"
        )
        if spread > 1.5
        else None,
    )
    in_pipeline = result["block_voxels_processed"] / max(result["generator_s_in_pipeline"], 1e-9)
    rec.add(
        f"{prefix}pipeline_vs_in_pipeline_generator",
        result["voxels_per_s"] / in_pipeline,
        "x",
        **context,
        how="pipeline voxels/s over the voxels/s of the generate calls it made (timed one by "
        "one inside the pipeline): the load-independent share, tiling waste included",
    )
    share = result["generator_s_in_pipeline"] / result["wall_s"]
    rec.add(
        f"{prefix}generator_share_of_wall",
        share,
        "fraction",
        **context,
        generator_calls=result["generator_calls"],
        block_voxels_processed=result["block_voxels_processed"],
        voxels=result["voxels"],
    )
    if result.get("cuda_peak_mib") is not None:
        rec.add(f"{prefix}cuda_peak", result["cuda_peak_mib"], "MiB", **context)
    rec.add(f"{prefix}startup_imports", result["import_s"], "s", **context)
    log(f"volume done in {wall:.0f} s")


def part_peer(ctx: dict[str, Any], rec: Records) -> None:
    """The zoo's PGGAN against the peer's generator, side by side in one worker process."""
    path = ctx["peer"]
    if path is None:
        log("peer: no --peer PATH given, skipped")
        return
    batch = PEER_BATCH
    params = {
        "device": ctx["device"],
        "settings": ctx["settings"],
        "model_id": PEER_MODEL,
        "path": str(path),
        "batch": batch,
        "dtypes": ctx["dtypes"],
    }
    log(f"peer: {PEER_MODEL} vs {path} at batch {batch}, {'+'.join(ctx['dtypes'])}, one process")
    result, error, wall = run_worker("peer", params, ctx["timeout"])
    if result is None:
        for dtype in ctx["dtypes"]:
            rec.error(
                f"peer/{PEER_MODEL}/{dtype}/zoo_vs_peer",
                error or "failed",
                f">= {PEER_TARGETS[dtype]:.2f}",
                dtype=dtype,
            )
        return
    for dtype, run in result["runs"].items():
        context = {
            "model": PEER_MODEL,
            "peer": str(path),
            "dtype": dtype,
            "batch": batch,
            "loadavg": run["loadavg"],
        }
        prefix = f"peer/{PEER_MODEL}/{dtype}"
        rates = {}
        for side in ("zoo", "peer"):
            rates[side] = batch / run[f"{side}_seconds"]
            rec.add(
                f"{prefix}/{side}_images_per_s",
                rates[side],
                "images/s",
                **context,
                times=run[f"{side}_times"],
                flops_per_sample=run[f"{side}_flops_per_sample"],
                output_shape=run[f"{side}_output_shape"],
                params=result[f"{side}_params"],
            )
        ratio = rates["zoo"] / rates["peer"]
        rec.add(
            f"{prefix}/zoo_vs_peer",
            ratio,
            "x peer",
            f">= {PEER_TARGETS[dtype]:.2f}",
            ratio >= PEER_TARGETS[dtype],
            **context,
            how="zoo images/s over peer images/s, best of calls timed alternately in one "
            "process (who goes first alternates), both warmed up at this batch",
        )
    log(f"peer done in {wall:.0f} s")


def part_cli(ctx: dict[str, Any], rec: Records) -> None:
    repeats = ctx["settings"]["list_repeats"]
    zoo = Path(sys.executable).parent / "zoo"
    if not zoo.exists():
        import shutil

        zoo = Path(shutil.which("zoo") or "zoo")
    floor, _, floor_cpu = best_wall([sys.executable, "-c", "pass"], repeats)
    best, times, cpu = best_wall([str(zoo), "list"], repeats)
    rec.add(
        "cli/zoo_list_cold_start",
        best,
        "s",
        f"< {LIST_TARGET_S} s",
        best < LIST_TARGET_S,
        runs=times,
        cpu_s=cpu,
        how="`zoo list` in a new process, output to a pipe, best of runs (wall time)",
    )
    rec.add(
        "cli/zoo_list_cpu_time",
        cpu,
        "s",
        how="user + sys CPU time of that best run (what load does not inflate)",
    )
    rec.add(
        "cli/python_startup",
        floor,
        "s",
        cpu_s=floor_cpu,
        how="`python -c pass` in this environment (the floor of any command)",
    )


def part_dataset(ctx: dict[str, Any], rec: Records) -> None:
    params = {
        "model_id": suite.DATASET_MODEL,
        "samples": 10_000,
        "batch_size": 32,
        "workers": 2,
        "warm_samples": 320,
        "seed": 7,
    }
    log(f"dataset: {params['samples']} samples of {params['model_id']} through SyntheticDataset")
    result, error, _ = run_worker("dataset", params, ctx["timeout"], {})
    if result is None:
        rec.error("dataset/rss_growth", error or "failed")
        return
    start, end = result["rss_start_mib"], result["rss_end_mib"]
    total_start, total_end = sum(start.values()), sum(end.values())
    growth = total_end / total_start - 1
    rec.add(
        "dataset/rss_growth",
        growth,
        "ratio",
        f"<= {DATASET_RSS_GROWTH:.2f}",
        growth <= DATASET_RSS_GROWTH,
        model=params["model_id"],
        samples=result["samples"],
        rss_start_mib=start,
        rss_end_mib=end,
        samples_per_s=result["samples"] / result["wall_s"],
        how=(
            "SyntheticDataset in a DataLoader with 2 workers; resident memory of the main "
            f"process + workers after {params['warm_samples']} samples and at the end"
        ),
    )
    rec.add(
        "dataset/redrawn_from_seed_identical",
        float(result["redrawn_identical"]),
        "bool",
        "1",
        result["redrawn_identical"],
        how="the last batch, drawn again by index from a new SyntheticDataset, is bit-identical",
    )
    diff = result["max_abs_diff_to_generate"]
    rec.add(
        "dataset/max_abs_diff_to_zoo_generate",
        diff,
        "abs",
        "<= 1e-5",
        diff <= 1e-5,
        how="first batch against zoo.generate(n, seed), which batches the same per-item seeds",
    )


def part_load(ctx: dict[str, Any], rec: Records) -> None:
    from zoo_core.testing.hub_server import HubServer

    model_id = suite.LOAD_MODEL
    repo_id = f"zoo-bench/{model_id}"
    with tempfile.TemporaryDirectory(prefix="zoo-bench-hf-") as home, HubServer() as hub:
        env = {
            "HF_ENDPOINT": hub.url,
            "HF_HOME": home,
            "HF_HUB_CACHE": str(Path(home) / "hub"),
            "HF_TOKEN": "hf_zoo_bench_token",
            "HF_HUB_OFFLINE": "0",
            "HF_HUB_DISABLE_TELEMETRY": "1",
            "HF_HUB_DISABLE_PROGRESS_BARS": "1",
            "ZOO_HUB": "hf",
        }
        params = {
            "model_id": model_id,
            "repo_id": repo_id,
            "repeats": ctx["settings"]["load_repeats"],
        }
        log(f"load: push {model_id} to a loopback Hub, then zoo.load it from the warm cache")
        result, error, _ = run_worker("load", params, ctx["timeout"], env)
        if result is None:
            rec.error("api/zoo_load_warm_cache", error or "failed")
            return
        context = {
            "model": model_id,
            "weights_mib": result["weights_mib"],
            "hub": "loopback HF Hub",
        }
        rec.add(
            "api/zoo_load_warm_cache",
            result["warm_load_s"],
            "s",
            **context,
            first_load_s=result["first_load_s"],
            runs=result["warm_loads"],
            how="in a process that has loaded it once: resolve, sha256, build, load_state_dict",
        )
        fresh, error, _wall = run_worker("load_fresh", {"repo_id": repo_id}, ctx["timeout"], env)
        if fresh is None:
            rec.error("api/zoo_load_warm_cache_new_process", error or "failed")
            return
        rec.add(
            "api/zoo_load_warm_cache_new_process",
            fresh["import_torch_s"] + fresh["load_s"],
            "s",
            **context,
            import_torch_s=fresh["import_torch_s"],
            load_s=fresh["load_s"],
            how="import torch + first zoo.load in a new interpreter (plugin imports included)",
        )


# -- main -------------------------------------------------------------------------------------


def machine(device: str) -> dict[str, Any]:
    from importlib.metadata import PackageNotFoundError, version

    info: dict[str, Any] = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "device": device,
    }
    with contextlib.suppress(AttributeError):
        info["cpu_affinity"] = len(os.sched_getaffinity(0))
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu_model"] = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    for package in ("torch", "monai", "zoo-core"):
        with contextlib.suppress(PackageNotFoundError):
            info[package] = version(package)
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=HERE, capture_output=True, text=True, check=True
        ).stdout.strip()
        info["git_commit"] = commit
    except (OSError, subprocess.CalledProcessError):
        pass
    return info


def loadavg() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="Fewer repeats, smaller batches.")
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--json", type=Path, help="Write the records here.")
    parser.add_argument("--only", nargs="+", choices=PARTS, help="Run only these parts.")
    parser.add_argument("--models", nargs="+", help="fnmatch patterns of model ids to keep.")
    parser.add_argument("--profile", action="store_true", help="torch.profiler op table per model.")
    parser.add_argument(
        "--overlap", type=float, default=0.0, help="Block overlap of the volume run (0: paper)."
    )
    parser.add_argument("--sw-batch-size", type=int, default=8, help="Blocks per model call.")
    parser.add_argument("--volume-model", help="Model id for the volume run.")
    parser.add_argument(
        "--dtype",
        default="both",
        choices=list(DTYPE_CHOICES),
        help="Precision(s) of the inference, train and peer parts (default: both).",
    )
    parser.add_argument(
        "--peer",
        type=Path,
        help="A reference implementation's folder (e.g. ../shared/peers/pytorch_GAN_zoo): "
        f"time {PEER_MODEL} against its progressive GNet side by side (the peer part).",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    from zoo_core.api import list_models

    settings = suite.QUICK if args.quick else suite.FULL
    settings_dict = {
        **dataclasses.asdict(settings),
        "matmul_n_cuda": 8192,
        "cuda_call_budget_s": 5.0 if args.quick else 20.0,
        "raw_repeats": 5 if args.quick else 9,
        # bf16 vs fp32 PSNR: samples per model (each drawn with its own seed)
        "psnr_samples": 2 if args.quick else 8,
    }
    installed = {row["id"] for row in list_models()}

    def keep(kind: str) -> list[suite.Bench]:
        benches = suite.selected(args.quick, installed, kind)
        if not args.models:
            return benches
        # a model named by its exact id runs even where --quick leaves it out; globs pick
        # among the benches of this run
        return [
            b
            for b in suite.selected(False, installed, kind)
            if b.model_id in args.models
            or (b in benches and any(fnmatch.fnmatch(b.model_id, p) for p in args.models))
        ]

    peer = args.peer.expanduser().resolve() if args.peer else None
    if peer is not None and not peer.is_dir():
        raise SystemExit(f"--peer {args.peer}: no such folder.")
    if args.only and "peer" in args.only and peer is None:
        raise SystemExit("--only peer needs --peer PATH (the reference implementation's folder).")

    ctx: dict[str, Any] = {
        "device": args.device,
        "settings": settings_dict,
        "timeout": settings.worker_timeout_s,
        "benches": keep("inference"),
        "train_benches": keep("train"),
        "profile": args.profile,
        "overlap": args.overlap,
        "sw_batch_size": args.sw_batch_size,
        "volume_model": args.volume_model,
        "dtypes": DTYPE_CHOICES[args.dtype],
        "peer": peer,
    }
    missing = sorted({b.model_id for b in suite.BENCHES} - installed)
    started = time.perf_counter()
    meta: dict[str, Any] = {
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "argv": sys.argv[1:] if argv is None else argv,
        "quick": args.quick,
        "dtypes": ctx["dtypes"],
        "peer": None if peer is None else str(peer),
        "machine": machine(args.device),
        "settings": settings_dict,
        "not_installed": missing,
        "loadavg": {"start": loadavg()},
    }
    rec = Records()
    # the peer part runs when --peer names a folder (and --only, if given, lists it)
    parts = args.only or [p for p in PARTS if p != "peer" or peer is not None]
    order = [
        p for p in ("cli", "inference", "train", "volume", "load", "dataset", "peer") if p in parts
    ]
    for part in order:
        meta["loadavg"][f"before_{part}"] = loadavg()
        {
            "cli": part_cli,
            "inference": part_inference,
            "train": part_train,
            "volume": part_volume,
            "load": part_load,
            "dataset": part_dataset,
            "peer": part_peer,
        }[part](ctx, rec)
    meta["loadavg"]["end"] = loadavg()
    meta["wall_s"] = time.perf_counter() - started
    cores = meta["machine"].get("cpu_affinity") or os.cpu_count() or 1
    peak_load = max((v[0] for v in meta["loadavg"].values() if v), default=0.0)
    meta["under_load"] = peak_load > 0.5 * cores
    meta["cores"] = cores
    if ctx.get("profiles"):
        meta["profiles"] = ctx["profiles"]
    targets = [r for r in rec.items if r["target"]]
    meta["targets"] = {"met": sum(bool(r["met"]) for r in targets), "total": len(targets)}

    table = markdown(rec.items)
    print(table)
    print()
    load_note = " (taken under load)" if meta["under_load"] else ""
    print(
        f"{meta['targets']['met']}/{meta['targets']['total']} targets met; "
        f"{meta['wall_s']:.0f} s on {args.device}, {cores} core(s), load average "
        f"{meta['loadavg']['start']} -> {meta['loadavg']['end']}{load_note}."
    )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"meta": meta, "records": rec.items}, indent=1) + "\n")
        log(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
