"""The provenance record written beside (and inside) every generated file.

It answers "what made this image?" without the run's logs: the model id, the weights'
revision and sha256, the seed, the conditions' file names and sha256, and the versions of the
libraries that produced it, so a sample can be traced and regenerated.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import platform
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path
from typing import Any

from zoo_core.errors import DataError
from zoo_core.weights import atomic_path, sha256_file

PROVENANCE_FILE = "provenance.json"
_LIBRARIES = ("zoo-core", "torch", "monai", "numpy", "nibabel", "pydicom", "pillow")


def library_versions() -> dict[str, str | None]:
    versions: dict[str, str | None] = {"python": platform.python_version()}
    for name in _LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def file_digest(path: str | Path) -> dict[str, str]:
    """Name and sha256 of a condition file; a DICOM folder hashes its sorted files."""
    path = Path(path)
    if path.is_dir():
        digest = hashlib.sha256()
        for f in sorted(p for p in path.rglob("*") if p.is_file()):
            digest.update(f.relative_to(path).as_posix().encode())
            digest.update(bytes.fromhex(sha256_file(f)))
        return {"file": path.name, "sha256": digest.hexdigest(), "kind": "folder"}
    if not path.is_file():
        raise DataError(f"{path}: condition file not found; check the --condition path.")
    return {"file": path.name, "sha256": sha256_file(path)}


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def provenance_record(
    model: Any,
    *,
    seed: int | None,
    conditions: Iterable[str | Path] | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Everything needed to trace a generated sample back to its model, weights and inputs."""
    from zoo_core.io.common import software

    info = dict(getattr(model, "weights_info", None) or {})
    card = getattr(model, "card", None)
    card_fields = getattr(card, "zoo", None) or {}
    sha = info.get("sha256")
    record = {
        "synthetic": True,
        "software": software(),
        "model_id": getattr(model, "model_id", None) or type(model).__name__,
        "architecture": card_fields.get("architecture"),
        "modality": card_fields.get("modality"),
        "revision": info.get("revision"),
        "weights_repo": info.get("repo_id"),
        "weights_sha256": sha,
        "pretrained": info.get("pretrained", bool(sha)),
        "seed": seed,
        "conditions": [file_digest(p) for p in (conditions or [])],
        "versions": library_versions(),
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    if extra:
        record.update(extra)
    return _jsonable(record)


def write_provenance(out_dir: str | Path, record: dict[str, Any]) -> Path:
    """``out_dir/provenance.json``, written atomically."""
    path = Path(out_dir) / PROVENANCE_FILE
    text = json.dumps(record, indent=2, sort_keys=True, default=str) + "\n"
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return path
