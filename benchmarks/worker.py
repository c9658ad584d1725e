"""One measurement per process: ``python benchmarks/worker.py TASK IN.json OUT.json``.

``run.py`` starts a fresh interpreter for every memory figure, because a process's peak
resident set (``ru_maxrss``) only ever grows: measured in a process that already ran
something bigger, a smaller job's peak would be invisible, and memory freed by an earlier job
but kept by the allocator would hide part of a later one's growth. Tasks:

``inference``   every listed model at batch 1, 8 and the largest that fits, plus the fp32
                ``torch.mm`` rate before and after (the machine's limit in the same run);
``train``       one training step of one model (peak RSS / CUDA peak of a fresh process);
``make_volume`` the 512x512x300 head CT the volume task reads;
``volume``      the 3D cGAN's whole-volume pipeline: read NIfTI, pre-process, blocks,
                blend, post-process, write NIfTI, and the generator's raw block rate;
``load``        push a model to the (loopback) Hub, then ``zoo.load`` it from a warm cache;
``peer``        the zoo's PGGAN and a reference implementation's generator (``--peer``),
                alternately in one process, in fp32 and bf16.

``inference`` and ``peer`` run each model in fp32 and/or bf16 (``--dtype``); every bf16
figure is compared with a bf16 ``torch.mm`` measured in the same process.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import sys
import tempfile
import time
import traceback
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

_T0 = time.perf_counter()
warnings.filterwarnings("ignore")

import numpy as np  # noqa: E402
import torch  # noqa: E402

_IMPORT_TORCH_S = time.perf_counter() - _T0

import measure as m  # noqa: E402  (benchmarks/ is this script's directory, first on sys.path)


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _device(name: str) -> torch.device:
    device = torch.device(name)
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise SystemExit("--device cuda: torch sees no CUDA device here.")
        if device.index is None:
            device = torch.device("cuda", torch.cuda.current_device())
    m.strict_fp32(device)
    return device


def _load(model_id: str, device: torch.device, overrides: list[str], dtype: str = "fp32") -> Any:
    """``zoo.load(id, pretrained=False)``; with ``dtype="bf16"`` the weights are cast to
    bfloat16 and ``generate`` runs under autocast, returning float32."""
    import zoo_core as zoo

    return zoo.load(
        model_id, pretrained=False, device=str(device), overrides=list(overrides), dtype=dtype
    )


def _free(device: torch.device) -> None:
    gc.collect()
    if device.type == "cuda":
        torch.cuda.empty_cache()


# -- inference ----------------------------------------------------------------------------------


def _generate_call(model: Any, batch: int):
    """A closure running ``model.generate`` on one batch, inputs made once, outside the timer."""
    if model.conditional:
        condition = model.prepare_batch(model.example_batch(batch), None)["condition"]
        return lambda: model.generate(condition=condition)
    return lambda: model.generate(n=batch)


def _cpu_largest_batch(
    per_sample_s: float, per_sample_mib: float | None, settings: dict[str, Any]
) -> tuple[int, str]:
    """The largest power-of-two batch >= 16 whose call fits the time and memory budgets."""
    available = m.available_mib()
    budget_mib = min(8192.0, 0.5 * available) if available else 4096.0
    best, reason = 8, ""
    batch = 16
    while batch <= settings["cpu_max_batch"]:
        if per_sample_s * batch > settings["call_budget_s"]:
            reason = f"time budget {settings['call_budget_s']:g} s per call"
            break
        if per_sample_mib is not None and per_sample_mib * batch > budget_mib:
            reason = f"memory budget {budget_mib:.0f} MiB"
            break
        best = batch
        batch *= 2
    else:
        reason = f"cap {settings['cpu_max_batch']} (settings)"
    return best, reason


def _cuda_largest_batch(model: Any, device: torch.device, budget_s: float) -> tuple[int, str]:
    """Double the batch from 16 until CUDA runs out of memory (or a call exceeds the budget)."""
    best, batch = 8, 16
    reason = "cap 65536"
    while batch <= 65536:
        try:
            call = _generate_call(model, batch)
            seconds, out = m.timed(call, device)
            del out, call
        except Exception as exc:
            if not m.is_oom(exc):
                raise
            reason = f"CUDA out of memory at batch {batch}"
            break
        finally:
            _free(device)
        best = batch
        if seconds > budget_s:
            reason = f"call time {seconds:.1f} s > {budget_s:g} s at batch {batch}"
            break
        batch *= 2
    return best, reason


def _time_batch(
    model: Any,
    batch: int,
    device: torch.device,
    settings: dict[str, Any],
    expected_s: float | None = None,
) -> dict:
    """Best-of timing of ``generate`` at one batch size.

    Full runs warm up at every batch size; quick runs only where the call is predicted to be
    cheap (``expected_s`` below the warm-up limit), since a warm-up doubles a 10 s call.
    """
    call = _generate_call(model, batch)
    warmup = settings["per_batch_warmup"] or (
        expected_s is not None and expected_s <= settings["warmup_below_s"]
    )
    seconds, count = m.best_within(
        call, device, settings["repeats"], settings["repeat_budget_s"], warmup
    )
    return {"batch": batch, "seconds": seconds, "per_batch_warmup": warmup, "timed_calls": count}


DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16}


def _psnr_input(model: Any, samples: int) -> dict[str, Any]:
    """The keyword arguments of the two ``generate`` calls compared in bf16 and fp32."""
    if model.conditional:
        condition = model.prepare_batch(model.example_batch(samples), None)["condition"]
        return {"condition": condition}
    return {"n": samples}


def bf16_psnr(fp32: Any, bf16: Any, samples: int) -> dict[str, Any]:
    """PSNR of the bf16 model's outputs against the fp32 model's: same weights (copied from
    the fp32 model), same seed, same condition; over the model's value range."""
    kwargs = _psnr_input(fp32, samples)
    want = fp32.generate(seed=0, **kwargs)
    got = bf16.generate(seed=0, **kwargs)
    diff = (got - want).abs()
    return {
        "psnr_db": m.psnr_db(got, want, fp32.value_range),
        "samples": int(want.shape[0]),
        "value_range": list(fp32.value_range),
        "max_abs_diff": float(diff.max()),
        "out_dtype": str(got.dtype).removeprefix("torch."),
    }


def infer_one(
    model: Any, model_id: str, device: torch.device, settings: dict[str, Any], dtype: str = "fp32"
) -> dict:
    """Batch 1, 8 and the largest that fits, for one model already loaded in ``dtype``."""
    started = time.perf_counter()
    one = _generate_call(model, 1)
    flops = m.count_flops(one)  # also the warm-up of batch 1
    out = one()
    result: dict[str, Any] = {
        "model_id": model_id,
        "dtype": dtype,
        "weights_dtype": str(model.dtype).removeprefix("torch."),
        "flops_per_sample": flops,
        "output_shape": list(out.shape[1:]),
        "voxels_per_sample": int(np.prod(out.shape[2:])),
        "dims": len(out.shape) - 2,
        "generator_params": sum(p.numel() for p in model.generator.parameters()),
        "runs": [],
    }
    del out
    result["runs"].append(_time_batch(model, 1, device, settings))
    log(
        f"{model_id} [{dtype}]: {flops / 1e9:.2f} GFLOP/sample, "
        f"batch 1 {result['runs'][0]['seconds']:.3f} s"
    )

    cpu = device.type == "cpu"
    have_hwm = cpu and m.reset_hwm()
    rss_before = m.rss_mib() if have_hwm else None
    run8 = _time_batch(model, 8, device, settings, expected_s=8 * result["runs"][0]["seconds"])
    result["runs"].append(run8)
    per_sample_mib = None
    if have_hwm and rss_before is not None:
        per_sample_mib = max(0.0, m.hwm_mib() - rss_before) / 8
    log(f"{model_id} [{dtype}]: batch 8 {run8['seconds']:.3f} s")

    if cpu:
        largest, reason = _cpu_largest_batch(run8["seconds"] / 8, per_sample_mib, settings)
    else:
        largest, reason = _cuda_largest_batch(model, device, settings["cuda_call_budget_s"])
    result["largest_batch_limit"] = reason
    result["cpu_mib_per_sample_estimate"] = per_sample_mib
    while largest > 8:
        try:
            expected = run8["seconds"] * largest / 8
            run = _time_batch(model, largest, device, settings, expected_s=expected)
            run["largest"] = True
            result["runs"].append(run)
            log(f"{model_id} [{dtype}]: largest batch {largest} {run['seconds']:.3f} s ({reason})")
            break
        except Exception as exc:
            if not m.is_oom(exc):
                raise
            _free(device)
            result["largest_batch_limit"] = f"out of memory at {largest}"
            largest //= 2
    if largest <= 8:
        run8["largest"] = True
        log(f"{model_id} [{dtype}]: largest batch is 8 ({reason})")
    result["seconds_total"] = time.perf_counter() - started
    result["loadavg"] = m.loadavg()
    del one
    _free(device)
    return result


def infer_bench(
    bench: dict[str, Any], device: torch.device, settings: dict[str, Any], dtypes: list[str]
) -> list[dict[str, Any]]:
    """One model in each precision of ``dtypes``; the bf16 model gets the fp32 model's weights
    (its state dict, cast) so the PSNR of bf16 against fp32 compares precision alone."""
    model_id, overrides = bench["model_id"], bench["overrides"]
    out: list[dict[str, Any]] = []
    fp32 = _load(model_id, device, overrides, "fp32")
    if "fp32" in dtypes:
        try:
            out.append(infer_one(fp32, model_id, device, settings, "fp32"))
        except Exception as exc:
            traceback.print_exc()
            out.append({"model_id": model_id, "dtype": "fp32", "error": repr(exc)[:500]})
            _free(device)
    if "bf16" in dtypes:
        bf16 = _load(model_id, device, overrides, "bf16")
        bf16.load_state_dict(fp32.state_dict())
        psnr = None
        try:
            psnr = bf16_psnr(fp32, bf16, int(settings["psnr_samples"]))
            log(f"{model_id}: bf16 vs fp32 PSNR {psnr['psnr_db']:.1f} dB")
        except Exception as exc:
            traceback.print_exc()
            psnr = {"error": repr(exc)[:500]}
        del fp32
        _free(device)
        try:
            result = infer_one(bf16, model_id, device, settings, "bf16")
        except Exception as exc:
            traceback.print_exc()
            result = {"model_id": model_id, "dtype": "bf16", "error": repr(exc)[:500]}
        result["psnr_vs_fp32"] = psnr
        out.append(result)
        del bf16
    else:
        del fp32
    _free(device)
    return out


def task_inference(params: dict[str, Any]) -> dict[str, Any]:
    """Every model in every precision asked for, between the matrix-multiply references of
    those precisions (square ``torch.mm``, before and after the models, same process)."""
    device = _device(params["device"])
    settings = params["settings"]
    dtypes = list(params.get("dtypes") or ["fp32"])
    n = settings["matmul_n_cuda"] if device.type == "cuda" else settings["matmul_n_cpu"]
    out: dict[str, Any] = {
        "threads": torch.get_num_threads(),
        "matmul_n": n,
        "dtypes": dtypes,
        "models": [],
        "matmul": {},
    }

    def reference(when: str) -> None:
        # fp32 is always measured: the existing figures are against it
        for name in dict.fromkeys(["fp32", *dtypes]):
            rate = m.matmul_gflops(device, n, settings["matmul_repeats"], dtype=DTYPES[name])
            out["matmul"].setdefault(name, {})[when] = rate
            log(f"{name} mm {n}x{n} ({when}): {rate:.1f} GFLOP/s")

    reference("start")
    for bench in params["benches"]:
        try:
            out["models"].extend(infer_bench(bench, device, settings, dtypes))
        except Exception as exc:
            traceback.print_exc()
            out["models"].append({"model_id": bench["model_id"], "error": repr(exc)[:500]})
            _free(device)
    reference("end")
    out["matmul_gflops_start"] = out["matmul"]["fp32"]["start"]
    out["matmul_gflops_end"] = out["matmul"]["fp32"]["end"]
    if params.get("profile"):
        out["profiles"] = {b["model_id"]: profile_one(b, device) for b in params["benches"]}
    return out


def profile_one(bench: dict[str, Any], device: torch.device, batch: int = 8) -> list[dict]:
    """Where a batch-8 generate call spends its time, by operator (torch.profiler)."""
    from torch.profiler import ProfilerActivity, profile

    model = _load(bench["model_id"], device, bench["overrides"])
    call = _generate_call(model, batch)
    call()
    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if device.type == "cuda" else [])
    with profile(activities=activities, with_flops=True) as prof:
        call()
        m.sync(device)
    rows = []
    attr = "self_device_time_total" if device.type == "cuda" else "self_cpu_time_total"
    events = sorted(prof.key_averages(), key=lambda e: getattr(e, attr), reverse=True)
    total = sum(getattr(e, attr) for e in events) or 1
    for event in events[:12]:
        rows.append(
            {
                "op": event.key,
                "self_ms": getattr(event, attr) / 1000,
                "share": getattr(event, attr) / total,
                "calls": event.count,
                "gflop": (event.flops or 0) / 1e9,
            }
        )
    del model, call
    _free(device)
    return rows


# -- side by side with a reference implementation (--peer) --------------------------------------


def _peer_gnet(path: str, device: torch.device) -> torch.nn.Module:
    """The peer's progressive generator at the Beers et al. ROP size, built as the peer
    folder's README says: latent 128, 128 filters from 4 to 128 px, 64 at 256 px, 16 at 512
    px, 4 output channels, fully grown (alpha 0). The folder goes on ``sys.path`` here, in
    this worker only; nothing of it is copied into the project."""
    sys.path.insert(0, str(Path(path).resolve()))
    from models.networks.progressive_conv_net import GNet

    g = GNet(dimLatent=128, depthScale0=128, dimOutput=4)
    for depth in [128, 128, 128, 128, 128, 64, 16]:
        g.addScale(depth)
    g.setNewAlpha(0.0)
    return g.eval().to(device)


@contextlib.contextmanager
def _peer_precision(device: torch.device, dtype: torch.dtype) -> Iterator[None]:
    """No gradients, and for bf16 ``torch.autocast`` to it (the peer has no dtype option)."""
    with torch.no_grad():
        if dtype == torch.float32:
            yield
        else:
            with torch.autocast(device_type=device.type, dtype=dtype):
                yield


def _peer_call(peer: torch.nn.Module, n: int, device: torch.device, dtype: str) -> Any:
    """A closure running the peer on ``n`` latents made once, outside the timer."""
    z = torch.randn(n, 128, device=device).to(DTYPES[dtype])

    def call() -> torch.Tensor:
        with _peer_precision(device, DTYPES[dtype]):
            return peer(z)

    return call


def task_peer(params: dict[str, Any]) -> dict[str, Any]:
    """The zoo's PGGAN generator and the peer's ``GNet`` at the same size, timed alternately
    in this one process (so both see the same machine state), in each precision asked for.

    fp32: both as built. bf16: the zoo model from ``zoo.load(..., dtype="bf16")`` (its own
    autocast); the peer cast to bfloat16 and run under ``torch.autocast`` with bfloat16. Both
    under ``torch.no_grad``; the peer's latents are made outside the timer, the zoo draws its
    own inside ``generate`` (as a user's call does).
    """
    import copy

    device = _device(params["device"])
    settings = params["settings"]
    model_id, batch = params["model_id"], int(params["batch"])
    peer32 = _peer_gnet(params["path"], device)
    zoo32 = _load(model_id, device, [], "fp32")
    out: dict[str, Any] = {
        "model_id": model_id,
        "batch": batch,
        "threads": torch.get_num_threads(),
        "zoo_params": sum(p.numel() for p in zoo32.generator.parameters()),
        "peer_params": sum(p.numel() for p in peer32.parameters()),
        "runs": {},
    }
    for dtype in params["dtypes"]:
        if dtype == "fp32":
            zoo_model, peer = zoo32, peer32
        else:
            zoo_model = _load(model_id, device, [], dtype)
            zoo_model.load_state_dict(zoo32.state_dict())
            peer = copy.deepcopy(peer32).to(DTYPES[dtype])
        zoo_one, peer_one = _generate_call(zoo_model, 1), _peer_call(peer, 1, device, dtype)
        zoo_flops, peer_flops = m.count_flops(zoo_one), m.count_flops(peer_one)
        zoo_shape, peer_shape = list(zoo_one().shape[1:]), list(peer_one().shape[1:])
        zoo_call, peer_call_b = (
            _generate_call(zoo_model, batch),
            _peer_call(peer, batch, device, dtype),
        )
        m.timed(zoo_call, device)  # warm-up at this batch (oneDNN primitives for the shapes)
        m.timed(peer_call_b, device)
        zoo_times: list[float] = []
        peer_times: list[float] = []
        for i in range(max(2, int(settings["repeats"]))):
            pair = [(zoo_call, zoo_times), (peer_call_b, peer_times)]
            for fn, times in pair if i % 2 == 0 else pair[::-1]:  # alternate who goes first
                times.append(m.timed(fn, device)[0])
            if i >= 1 and zoo_times[-1] + peer_times[-1] >= settings["repeat_budget_s"]:
                break
        out["runs"][dtype] = {
            "zoo_seconds": min(zoo_times),
            "peer_seconds": min(peer_times),
            "zoo_times": zoo_times,
            "peer_times": peer_times,
            "zoo_flops_per_sample": zoo_flops,
            "peer_flops_per_sample": peer_flops,
            "zoo_output_shape": zoo_shape,
            "peer_output_shape": peer_shape,
            "loadavg": m.loadavg(),
        }
        log(
            f"peer [{dtype}] batch {batch}: zoo {min(zoo_times):.2f} s, "
            f"peer {min(peer_times):.2f} s per call"
        )
        del zoo_call, peer_call_b, zoo_one, peer_one
        if dtype != "fp32":
            del zoo_model, peer
        _free(device)
    return out


# -- training ----------------------------------------------------------------------------------


class _ExampleItems(torch.utils.data.Dataset):
    """Training items cut from the model's own ``example_batch`` (the shapes it trains on).

    A small pool is repeated: a benchmark step costs the same whatever the pixel values, and
    the pool keeps the data's own memory out of the way of the step's.
    """

    def __init__(self, model: Any, pool: int = 2, length: int = 4096) -> None:
        batch = model.example_batch(pool)
        self.items = []
        for i in range(pool):
            item = {}
            for key, value in batch.items():
                if isinstance(value, torch.Tensor) and value.ndim >= 1 and len(value) == pool:
                    item[key] = value[i].detach().cpu()
                elif isinstance(value, torch.Tensor | int | float | str):
                    item[key] = value
            self.items.append(item)
        self.length = length

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, index: int) -> dict[str, Any]:
        return self.items[index % len(self.items)]


def task_train(params: dict[str, Any]) -> dict[str, Any]:
    from zoo_core.api import model_spec
    from zoo_core.registry import get_registry
    from zoo_core.training.run import trainer_class

    device = _device(params["device"])
    settings = params["settings"]
    bench = params["bench"]
    model_id = bench["model_id"]
    precision = params.get("precision", "fp32")
    overrides = [
        *bench["overrides"],
        "train.num_workers=0",
        "train.amp=false",
        f"train.precision={precision}",
    ]
    started = time.perf_counter()
    model = _load(model_id, device, overrides)
    arch = get_registry().architecture(model_spec(model_id).architecture)
    dataset = _ExampleItems(model)
    with tempfile.TemporaryDirectory(prefix="zoo-bench-train-") as tmp:
        trainer = trainer_class(arch)(
            model, model.config, dataset, tmp, model_id, device=device, progress=False
        )
        schedule = getattr(trainer, "schedule", None)
        if schedule is not None and hasattr(schedule, "total_steps"):
            # A progressive trainer: measure the last phase (full resolution, no fade-in),
            # the paper's model as it trains most of the time at the top resolution.
            trainer.step = int(schedule.total_steps) - 1
        trainer.on_step_start()  # the subclass puts the model in that phase, sets the batch
        paper_batch = trainer.batch_size
        if settings["train_batch"]:
            trainer.set_batch_size(int(settings["train_batch"]))
        trainer.on_step_start = lambda: None  # the phase stays put while measuring
        batch = trainer.batch_size
        setup_s = time.perf_counter() - started
        _free(device)
        rss_before = m.rss_mib()
        maxrss_before = m.ru_maxrss_mib()
        local_peak = m.reset_hwm()
        m.reset_cuda_peak(device)
        first_s, _ = m.timed(trainer._train_step, device)
        log(f"{model_id} [{precision}]: first training step (batch {batch}) {first_s:.2f} s")
        if first_s <= settings["train_single_step_above_s"]:
            steps = [
                m.timed(trainer._train_step, device)[0] for _ in range(settings["train_steps"])
            ]
        else:  # quick runs: a step this slow is timed once, cold (the record says so)
            steps = [first_s]
        peak_total = m.ru_maxrss_mib()
        peak_since = m.hwm_mib() if local_peak else peak_total
        log(
            f"{model_id} [{precision}]: training step {min(steps):.2f} s, "
            f"peak RSS {peak_total:.0f} MiB"
        )
        result = {
            "model_id": model_id,
            "precision": precision,
            "amp_dtype": trainer.amp_dtype and str(trainer.amp_dtype).removeprefix("torch."),
            "batch": batch,
            "paper_batch": paper_batch,
            "phase": None if schedule is None else {"step": trainer.step - 1},
            "first_step_s": first_s,
            "step_s": min(steps),
            "steps_timed": len(steps),
            "cold_step_only": steps == [first_s],
            "setup_s": setup_s,
            "import_torch_s": _IMPORT_TORCH_S,
            "rss_before_mib": rss_before,
            "peak_rss_mib": peak_total,
            "peak_rss_before_steps_mib": maxrss_before,
            "peak_rss_delta_mib": None if rss_before is None else peak_since - rss_before,
            "cuda_peak_mib": m.cuda_peak_mib(device),
            "loadavg": m.loadavg(),
        }
        trainer.dist.close()
    return result


# -- the 512x512x300 volume ------------------------------------------------------------------


def _atlas_path() -> Path:
    from importlib.resources import files

    return Path(str(files("totalsegmentator") / "resources" / "ct_brain_atlas_1mm.nii.gz"))


def task_make_volume(params: dict[str, Any]) -> dict[str, Any]:
    """The real head CT (202x202x179, 1 mm, HU) resampled to 512x512x300, as int16 NIfTI.

    Trilinear resampling keeps the anatomy and the HU values; the affine is rescaled so the
    file covers the atlas's field of view (0.39 x 0.39 x 0.60 mm voxels, like a thin-slice
    clinical CT). It is a real scan, not a synthetic one, and says so in its header.
    """
    import nibabel as nib
    import torch.nn.functional as F

    source = _atlas_path()
    image = nib.load(str(source))
    data = np.asarray(image.dataobj, dtype=np.float32)
    shape = tuple(params["shape"])
    big = F.interpolate(
        torch.from_numpy(data)[None, None], size=shape, mode="trilinear", align_corners=False
    )[0, 0]
    array = torch.round(big).clamp(-32768, 32767).to(torch.int16).numpy()
    del big
    scale = np.array([o / n for o, n in zip(data.shape, shape, strict=True)])
    voxel = np.eye(4)
    voxel[:3, :3] = np.diag(scale)
    voxel[:3, 3] = (scale - 1) / 2  # new voxel centres span the same field of view
    out = nib.Nifti1Image(array, image.affine @ voxel)
    out.header["descrip"] = b"real head CT atlas resampled (benchmark input)"
    path = Path(params["out_dir"]) / f"headct_{'x'.join(map(str, shape))}.nii.gz"
    nib.save(out, str(path))
    return {"path": str(path), "source": str(source), "source_shape": list(data.shape)}


def task_volume(params: dict[str, Any]) -> dict[str, Any]:
    """The 3D cGAN's reconstruct pipeline on one whole scan, stage by stage.

    The stages are those of ``zoo cgan3d reconstruct`` (``zoo_cgan3d.reconstruct.reconstruct``
    spelled out so each can be timed): read -> fit + apply the intensity transform ->
    ``predict_volume`` (the core's ``infer_volume``: MONAI sliding window, blocks to the model,
    blending) -> inverse transform -> int16 NIfTI with the synthetic marker.
    """
    started = time.perf_counter()
    from zoo_cgan3d.reconstruct import apply_in_place, predict_volume
    from zoo_cgan3d.volumes import fit_transform, read_volume
    from zoo_cgan3d.writers import write_synthetic_nifti

    import zoo_core.generation.volume  # noqa: F401  (MONAI is imported here, not in the run)

    device = _device(params["device"])
    settings = params["settings"]
    model_id = params["model_id"]
    sw_batch = int(params["sw_batch_size"])
    overlap = float(params["overlap"])
    import_s = _IMPORT_TORCH_S + time.perf_counter() - started
    t_load = time.perf_counter()
    model = _load(model_id, device, [], params.get("dtype", "fp32"))
    load_s = time.perf_counter() - t_load
    block = int(model.block_size)
    log(f"volume: {model_id} ready after {import_s:.1f} s imports, {load_s:.1f} s build")

    def raw_rate() -> dict[str, Any]:
        call = _generate_call(model, sw_batch)
        call()  # warm-up
        times = [m.timed(call, device)[0] for _ in range(settings["raw_repeats"])]
        del call
        median = float(np.median(times))
        return {"times": times, "median_s": median, "voxels_per_s": sw_batch * block**3 / median}

    raw_before = raw_rate()
    log(
        f"volume: raw generator {raw_before['voxels_per_s'] / 1e6:.2f} Mvoxel/s "
        f"at {sw_batch} blocks/call"
    )
    _free(device)
    stages: dict[str, dict[str, float]] = {}
    rss_base = m.rss_mib()
    m.reset_cuda_peak(device)

    generator_s = 0.0
    calls = 0
    generate = model.generate

    def timed_generate(*args: Any, **kwargs: Any) -> torch.Tensor:
        nonlocal generator_s, calls
        seconds, out = m.timed(lambda: generate(*args, **kwargs), device)
        generator_s += seconds
        calls += 1
        return out

    model.generate = timed_generate  # instance attribute: infer_volume calls model.generate

    cpu_mark = [time.process_time()]

    def stage(name: str, t0: float) -> float:
        now, cpu = time.perf_counter(), time.process_time()
        stages[name] = {
            "seconds": now - t0,
            "cpu_s": cpu - cpu_mark[0],
            "peak_rss_mib": m.hwm_mib(),
            "rss_mib": m.rss_mib(),
        }
        cpu_mark[0] = cpu
        log(f"volume: {name} {now - t0:.2f} s, peak RSS so far {m.hwm_mib():.0f} MiB")
        return now

    with tempfile.TemporaryDirectory(prefix="zoo-bench-volume-") as tmp:
        t_start = t = time.perf_counter()
        cpu_mark[0] = time.process_time()
        volume = read_volume(params["path"])
        t = stage("read", t)
        transform = fit_transform(model.config.data, volume.hu)
        # As reconstruct(inplace=True), which the CLI uses: normalised in the scan's memory.
        condition = torch.from_numpy(apply_in_place(transform.forward, volume.hu))[None]
        t = stage("preprocess", t)
        out = predict_volume(
            model,
            condition,
            mode="sliding",
            overlap=overlap,
            sw_batch_size=sw_batch,
            seed=0,
            options=model.condition_options(transform),  # the scan's table, as reconstruct
        )
        t = stage("blocks+blend", t)
        del condition
        hu = apply_in_place(transform.inverse, out[0].numpy())  # in the output's memory
        t = stage("postprocess", t)
        written = write_synthetic_nifti(
            hu, volume.affine, Path(tmp), Path(params["path"]), model_id, transform
        )
        t = stage("write", t)
        wall = t - t_start
        size = written.stat().st_size
        shape = list(volume.hu.shape)
        del volume, out, hu
    model.generate = generate
    peak_total = m.ru_maxrss_mib()
    cuda_peak = m.cuda_peak_mib(device)
    raw_after = raw_rate()
    voxels = int(np.prod(shape))
    result = {
        "model_id": model_id,
        "shape": shape,
        "voxels": voxels,
        "block": block,
        "sw_batch_size": sw_batch,
        "overlap": overlap,
        "wall_s": wall,
        "voxels_per_s": voxels / wall,
        "stages": stages,
        "generator_calls": calls,
        "generator_s_in_pipeline": generator_s,
        "block_voxels_processed": calls and calls * sw_batch * block**3,
        "raw_before": raw_before,
        "raw_after": raw_after,
        "import_s": import_s,
        "load_s": load_s,
        "rss_before_pipeline_mib": rss_base,
        "peak_rss_mib": peak_total,
        "cuda_peak_mib": cuda_peak,
        "output_bytes": size,
        "loadavg": m.loadavg(),
    }
    return result


# -- zoo.load from a warm cache -----------------------------------------------------------------


def task_load(params: dict[str, Any]) -> dict[str, Any]:
    """Publish a model to the Hub that HF_ENDPOINT names, then time ``zoo.load`` on it.

    The first load downloads into the (empty) cache; the timed loads that follow find every
    file in the cache, so they measure resolve + sha256 checks + build + state dict.
    """
    from omegaconf import OmegaConf

    import zoo_core as zoo
    from zoo_core.weights import save_state_dict

    model_id, repo_id = params["model_id"], params["repo_id"]
    model = _load(model_id, torch.device("cpu"), [])
    with tempfile.TemporaryDirectory(prefix="zoo-bench-push-") as tmp:
        folder = Path(tmp)
        save_state_dict(model.state_dict(), folder / "model.safetensors")
        (folder / "config.yaml").write_text(OmegaConf.to_yaml(model.config))
        pushed = zoo.push(folder, repo_id, model_id=model_id)
    weights_mib = sum(p.numel() * p.element_size() for p in model.state_dict().values()) / m.MIB
    del model
    first_s, _ = m.timed(lambda: zoo.load(repo_id), torch.device("cpu"))
    warm = [
        m.timed(lambda: zoo.load(repo_id), torch.device("cpu"))[0] for _ in range(params["repeats"])
    ]
    return {
        "model_id": model_id,
        "repo_id": repo_id,
        "commit": pushed.commit,
        "weights_mib": weights_mib,
        "first_load_s": first_s,
        "warm_load_s": min(warm),
        "warm_loads": warm,
    }


def task_load_fresh(params: dict[str, Any]) -> dict[str, Any]:
    """A new process that loads the published model from the warm cache (imports included)."""
    t = time.perf_counter()
    import zoo_core as zoo

    model = zoo.load(params["repo_id"])
    load_s = time.perf_counter() - t
    return {"import_torch_s": _IMPORT_TORCH_S, "load_s": load_s, "model": type(model).__name__}


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def task_dataset(params: dict[str, Any]) -> dict[str, Any]:
    """Stream ``SyntheticDataset`` through a DataLoader with workers; RSS of the main process
    and of the workers after the first batches and at the end, and a seed check."""
    import multiprocessing

    import zoo_core as zoo
    from zoo_core.generation import SyntheticDataset

    torch.set_num_threads(1)
    model = zoo.load(params["model_id"], pretrained=False)
    n, batch = params["samples"], params["batch_size"]
    dataset = SyntheticDataset(model, length=n, seed=params["seed"], batch_size=batch)
    loader = torch.utils.data.DataLoader(
        dataset, batch_size=batch, num_workers=params["workers"], persistent_workers=False
    )

    def rss() -> dict[str, float]:
        workers = [p.pid for p in multiprocessing.active_children()]
        return {"main": _rss_mib(os.getpid()), "workers": sum(_rss_mib(p) for p in workers)}

    started = time.perf_counter()
    seen, first, at_start = 0, None, None
    for images in loader:
        seen += len(images["target"])
        if first is None:
            first = images["target"]
        if at_start is None and seen >= params["warm_samples"]:
            at_start = rss()
        if seen == n:  # the workers stop when the loader runs out: measure before
            at_end = rss()
    wall = time.perf_counter() - started
    # the last batch, drawn again from its seeds alone
    again = SyntheticDataset(model, length=n, seed=params["seed"], batch_size=batch)
    start = n - len(images["target"])
    redrawn = all(
        torch.equal(again[start + i]["target"], x) for i, x in enumerate(images["target"])
    )
    # zoo.generate batches the same seeds together: equal up to float summation order
    reference = zoo.generate(model, n=len(first), seed=params["seed"])
    return {
        "samples": seen,
        "wall_s": wall,
        "rss_start_mib": at_start,
        "rss_end_mib": at_end,
        "redrawn_identical": redrawn,
        "max_abs_diff_to_generate": float((first - reference).abs().max()),
    }


TASKS = {
    "dataset": task_dataset,
    "inference": task_inference,
    "train": task_train,
    "make_volume": task_make_volume,
    "volume": task_volume,
    "load": task_load,
    "load_fresh": task_load_fresh,
    "peer": task_peer,
}


def main(argv: list[str]) -> int:
    task, in_path, out_path = argv
    params = json.loads(Path(in_path).read_text())
    result = TASKS[task](params)
    result["worker_wall_s"] = time.perf_counter() - _T0
    Path(out_path).write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
