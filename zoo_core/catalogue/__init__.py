"""A static web site of every registered model: ``zoo catalogue --out site/``.

The site is what ``zoo list`` and ``zoo info`` know, for people who browse rather than type:
``index.html`` lists every id with filters by modality, task and dims (a small local script,
no network), and ``models/<id>.html`` shows each card rendered, with its key facts, whether
trained weights ship, its metrics and a snippet that loads it. Images a card shows (the
held-out montage beside a shipped card) are copied next to its page. Links are relative, so
the folder works from ``file://`` and from any static server.

The site is written into a temporary folder beside ``out_dir`` and renamed into place, so a
reader never sees half a site, and only a folder that holds the marker of an earlier
catalogue (or nothing) is replaced: ``--out`` pointing at the wrong folder loses nothing.
Nothing here imports torch or knows any architecture.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from importlib import resources
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from zoo_core import __version__, cards
from zoo_core.catalogue import pages
from zoo_core.catalogue.markdown import Rendered, Resolver, render
from zoo_core.errors import ZooError

__all__ = ["MARKER", "CatalogueError", "manifest", "write_catalogue"]

logger = logging.getLogger(__name__)

#: The file that marks a folder as a catalogue this command wrote (and lists what it holds).
MARKER = "zoo-catalogue.json"
GENERATOR = "zoo catalogue"
INDEX = "index.html"
MODELS_DIR = "models"
#: Files a card may show or link that are copied into the site: pictures and small documents.
#: Anything else (weights, scripts) stays out: the site is for reading, and it gets published.
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".webp", ".svg"}
COPIED_SUFFIXES = IMAGE_SUFFIXES | {".pdf", ".csv", ".json", ".txt", ".yaml", ".yml"}


class CatalogueError(ZooError):
    """The catalogue cannot be written where it was asked to be."""


def _is_catalogue(folder: Path) -> bool:
    try:
        marker = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(marker, dict) and marker.get("generator") == GENERATOR


def _check_replaceable(out: Path) -> None:
    """Refuse an ``out`` that is not ours to replace: a file, a link, a folder of other files."""
    if not out.exists() and not out.is_symlink():
        return
    if out.is_symlink() or not out.is_dir():
        raise CatalogueError(
            f"{out} exists and is not a folder (or is a link): refusing to replace it with the "
            "catalogue. Choose another --out."
        )
    if _is_catalogue(out) or not any(out.iterdir()):
        return
    raise CatalogueError(
        f"{out} exists and is not a catalogue written by `zoo catalogue` (it has no {MARKER}): "
        "refusing to replace it. Choose another --out, or remove that folder yourself."
    )


def _replace(staging: Path, out: Path) -> None:
    """Move ``staging`` to ``out`` by renames; an earlier catalogue there goes only once the
    new one is in place (or comes back when the second rename fails)."""
    if not out.exists():
        os.rename(staging, out)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
    os.rename(out, old / out.name)
    try:
        os.rename(staging, out)
    except OSError:
        os.rename(old / out.name, out)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _resolver(model_id: str, card_dir: Path, ids: set[str], assets: dict[str, Path]) -> Resolver:
    """Where a card's relative link or image points inside the site (see markdown.render).

    ``other.md`` naming a registered id becomes that model's page; a file in the card's own
    folder (or below it) of a kind in :data:`COPIED_SUFFIXES` is copied to
    ``models/<id>/`` and recorded in ``assets``; anything else is dropped with a warning,
    never copied from elsewhere on the disk (a card must not publish ``../../secrets``).
    """

    def resolve(url: str, image: bool) -> str | None:
        parts = urlsplit(url)
        relative = unquote(parts.path)
        fragment = f"#{parts.fragment}" if parts.fragment else ""
        name = PurePosixPath(relative)
        if not image and name.suffix == ".md" and name.stem in ids:
            return f"{quote(name.stem)}.html{fragment}"
        target = (card_dir / relative).resolve() if relative else card_dir
        why = None
        if not relative or relative.startswith("/") or not target.is_relative_to(card_dir):
            why = "is not in the card's folder"
        elif not target.is_file():
            why = "does not exist"
        elif target.suffix.lower() not in (IMAGE_SUFFIXES if image else COPIED_SUFFIXES):
            why = "is not a kind of file the catalogue copies"
        if why is not None:
            kind = "image" if image else "link"
            logger.warning(
                "%s: the card's %s %r %s; left out of its page", model_id, kind, url, why
            )
            return None
        key = target.relative_to(card_dir).as_posix()
        assets[key] = target
        return f"{quote(model_id)}/{quote(key)}{fragment}"

    return resolve


def _static(name: str) -> str:
    return resources.files("zoo_core.catalogue").joinpath("static", name).read_text("utf-8")


def _model_page(row: dict[str, Any], ids: set[str], staging: Path) -> tuple[str, list[str]]:
    """Write one model's page and its assets; returns their paths relative to the site."""
    from zoo_core.api import model_spec

    model_id = row["id"]
    metadata: dict[str, Any] = {}
    rendered: Rendered | None = None
    assets: dict[str, Path] = {}
    if "error" not in row:
        card_path = model_spec(model_id).card_path()
        try:
            card = cards.read(card_path)
        except ZooError as exc:  # changed since it was listed
            row = {**row, "error": str(exc)}
        else:
            metadata = card.metadata
            card_dir = card_path.resolve().parent
            resolve = _resolver(model_id, card_dir, ids, assets)
            rendered = render(card.body, resolve, reserved=pages.SECTION_IDS)
    page = f"{MODELS_DIR}/{model_id}.html"
    html = pages.model_page(row, metadata, rendered, __version__)
    (staging / page).write_text(html, encoding="utf-8")
    written = []
    for key, source in sorted(assets.items()):
        target = staging / MODELS_DIR / model_id / key
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        written.append(f"{MODELS_DIR}/{model_id}/{key}")
    return page, written


def write_catalogue(out_dir: str | Path) -> Path:
    """Write the catalogue site of every registered model to ``out_dir``; returns index.html.

    ``out_dir`` must be absent, an empty folder or an earlier catalogue (it holds
    ``MARKER``); anything else raises :class:`CatalogueError` before a file is written. The
    site is built in a temporary folder beside ``out_dir`` and renamed into place.
    """
    from zoo_core.api import list_models

    out = Path(out_dir).absolute()
    _check_replaceable(out)
    rows = list_models("*")
    ids = {row["id"] for row in rows}
    logger.info("Writing the catalogue of %d models to %s", len(rows), out)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.incoming-", dir=out.parent))
    try:
        (staging / MODELS_DIR).mkdir()
        models, assets = {}, []
        for row in rows:
            models[row["id"]], written = _model_page(row, ids, staging)
            assets += written
        (staging / INDEX).write_text(pages.index_page(rows, __version__), encoding="utf-8")
        for name in (pages.STYLESHEET, pages.SCRIPT):
            (staging / name).write_text(_static(name), encoding="utf-8")
        marker = {
            "generator": GENERATOR,
            "zoo_core": __version__,
            "index": INDEX,
            "models": models,
            "assets": assets,
            "static": [pages.STYLESHEET, pages.SCRIPT],
        }
        (staging / MARKER).write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")
        staging.chmod(0o755)  # mkdtemp makes it private; a static server must read it
        _check_replaceable(out)  # again: another process may have filled it meanwhile
        _replace(staging, out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    logger.info("Wrote %d model pages and %d images or files", len(models), len(assets))
    return out / INDEX


def manifest(out_dir: str | Path) -> dict[str, Any]:
    """What the catalogue in ``out_dir`` holds, with absolute paths: the result that
    ``zoo catalogue --json`` prints (read from the marker file the site carries)."""
    out = Path(out_dir).absolute()
    if not _is_catalogue(out):
        raise CatalogueError(f"{out} is not a catalogue written by `zoo catalogue`.")
    marker = json.loads((out / MARKER).read_text(encoding="utf-8"))
    return {
        "out": str(out),
        "index": str(out / marker["index"]),
        "models": sorted(marker["models"]),
        "pages": [str(out / page) for _, page in sorted(marker["models"].items())],
        "assets": [str(out / asset) for asset in marker["assets"]],
    }
