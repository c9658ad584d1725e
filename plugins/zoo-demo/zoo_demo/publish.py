"""Stage 3: publish the trained checkpoint to a local-directory hub and load it back by id.

A directory hub makes a new commit for every push (the parent is part of the commit id), so
re-running the demo would pile up identical commits. Before pushing, the commit the hub's
``main`` points to is compared with the checkpoint, tensor by tensor and config by config:
when they are the same, that commit is reused.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zoo_core.plugin_api import HubError


@dataclass
class Published:
    repo_id: str
    commit: str
    source: str
    reused: bool


def source_for(hub_dir: Path) -> str:
    return f"dir:{hub_dir}"


def identical_commit(checkpoint_path: Path, repo_id: str, hub_dir: Path) -> str | None:
    """The hub's current commit of ``repo_id`` if it holds exactly this checkpoint's
    inference weights and config, else None."""
    import torch

    from zoo_core import checkpoint, hub
    from zoo_core.plugin_api import CONFIG_FILE, WEIGHTS_FILE, load_state_dict

    try:
        fetched = hub.get_source(source_for(hub_dir)).fetch(
            repo_id, [WEIGHTS_FILE, CONFIG_FILE], None
        )
    except HubError:  # nothing published yet, or an incomplete commit: publish anew
        return None
    groups, info = checkpoint.read(checkpoint_path)
    if fetched.files[CONFIG_FILE].read_text() != info["config"]:
        return None
    expected = checkpoint.inference_weights(groups)
    published = load_state_dict(fetched.files[WEIGHTS_FILE])
    if published.keys() != expected.keys():
        return None
    if not all(torch.equal(published[k], expected[k]) for k in expected):
        return None
    return fetched.commit


def publish(checkpoint_path: Path, repo_id: str, hub_dir: Path, steps: int) -> Published:
    """Push the checkpoint with its model card (``zoo.push``), unless the hub has it already."""
    from zoo_core.plugin_api import push

    source = source_for(hub_dir)
    commit = identical_commit(checkpoint_path, repo_id, hub_dir)
    if commit is not None:
        return Published(repo_id, commit, source, reused=True)
    hub_dir.mkdir(parents=True, exist_ok=True)
    result = push(
        checkpoint_path,
        repo_id,
        to=source,
        commit_message=f"zoo demo: {steps} training steps on MNI152 slices",
    )
    return Published(repo_id, result.commit, source, reused=False)


def load_published(repo_id: str, hub_dir: Path) -> Any:
    """``zoo.load`` by the published id: the card's sha256s are checked on the way."""
    from zoo_core.plugin_api import load

    return load(repo_id, source=source_for(hub_dir))
