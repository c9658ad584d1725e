"""Reading and writing weight files safely.

Weights are safetensors. Pickle-based files can run code when loaded, so they are refused
unless the caller opts in, and even then are read with ``torch.load(weights_only=True)``.
Every write goes to a temporary file in the same folder and is renamed into place, so a crash
never leaves a half-written file under the final name.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from zoo_core.errors import CorruptWeightsError, UnsafeWeightsError, WeightsIntegrityError

SAFE_SUFFIXES = (".safetensors",)
PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".pkl", ".ckpt")


def sha256_file(path: str | Path, chunk_size: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk_size):
            digest.update(block)
    return digest.hexdigest()


#: What a sha256 mismatch of a downloaded file means, and what to do about it.
HUB_MISMATCH_ADVICE = (
    "the file was changed or corrupted on its way (a cached download is dropped, so loading "
    "again fetches it afresh). If it persists, the hub holds another file than the card "
    "lists: check the card's revision."
)


def verify(
    files: Mapping[str, Path], expected: Mapping[str, str], *, advice: str = HUB_MISMATCH_ADVICE
) -> dict[str, str]:
    """Check every file against its expected sha256 before anything is loaded.

    ``advice`` says what a mismatch means where the files came from (a download, a folder
    shipped in a package), so the error tells the user what to do.
    """
    actual = {}
    for name, want in expected.items():
        if name not in files:
            raise WeightsIntegrityError(f"{name} is listed in the model card but was not fetched.")
        got = sha256_file(files[name])
        if got != want:
            raise WeightsIntegrityError(
                f"sha256 of {name} is {got}, but the model card says {want}. Nothing was "
                f"loaded: {advice}"
            )
        actual[name] = got
    return actual


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path`` that replaces it only if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def atomic_write(path: str | Path, writer: Callable[[Path], None]) -> Path:
    with atomic_path(path) as tmp:
        writer(tmp)
    return Path(path)


def save_state_dict(
    state: Mapping[str, Any], path: str | Path, metadata: Mapping[str, str] | None = None
) -> Path:
    """Write tensors to a safetensors file atomically (shared storage is copied)."""
    from safetensors.torch import save_file

    tensors = {k: v.detach().contiguous().clone() for k, v in state.items()}
    return atomic_write(
        path, lambda tmp: save_file(tensors, str(tmp), metadata=dict(metadata or {}))
    )


def load_state_dict(path: str | Path, allow_pickle: bool = False) -> dict[str, Any]:
    """Read a weights file onto the CPU, refusing pickle unless ``allow_pickle``."""
    path = Path(path)
    if path.suffix in SAFE_SUFFIXES:
        from safetensors.torch import load_file

        with _readable_safetensors(path):
            return load_file(str(path))
    if path.suffix in PICKLE_SUFFIXES:
        if not allow_pickle:
            raise UnsafeWeightsError(
                f"{path.name} is a pickle file, which can run code when loaded. Convert it to "
                "safetensors, or, if you trust its source, pass allow_pickle=True (zoo.load) or "
                "--allow-pickle (zoo generate); it is then read with torch.load(weights_only=True)."
            )
        import pickle

        import torch

        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
        except pickle.UnpicklingError as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise UnsafeWeightsError(
                f"{path.name} holds more than tensors, so it was not loaded (torch.load with "
                f"weights_only=True refused it: {first}). Convert it to safetensors from a "
                "trusted environment."
            ) from None
        if isinstance(state, dict) and isinstance(state.get("state_dict"), dict):
            state = state["state_dict"]
        if not isinstance(state, dict):
            raise UnsafeWeightsError(
                f"{path.name} holds a {type(state).__name__}, not a state dict."
            )
        return dict(state)
    raise UnsafeWeightsError(
        f"{path.name}: unknown weights format; expected one of {SAFE_SUFFIXES + PICKLE_SUFFIXES}."
    )


def read_metadata(path: str | Path) -> dict[str, str]:
    """The string metadata of a safetensors file, without reading its tensors."""
    from safetensors import safe_open

    with _readable_safetensors(Path(path)), safe_open(str(path), framework="pt") as handle:
        return dict(handle.metadata() or {})


@contextmanager
def _readable_safetensors(path: Path) -> Iterator[None]:
    """Turn safetensors' own errors (a truncated, empty or foreign file) into one that names
    the file and says what to do, instead of a traceback from the Rust extension."""
    from safetensors import SafetensorError

    if not path.is_file():
        raise CorruptWeightsError(f"{path}: no such weights file.")
    try:
        yield
    except (SafetensorError, OSError, ValueError) as exc:
        size = path.stat().st_size
        what = "it is empty" if size == 0 else f"it is not a complete safetensors file ({exc})"
        raise CorruptWeightsError(
            f"{path} cannot be read: {what}. It was probably cut short by an interrupted "
            "write or download: use an earlier checkpoint, or fetch or export the file again."
        ) from exc
