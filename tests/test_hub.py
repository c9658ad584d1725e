"""Hub I/O with the real huggingface_hub client against the loopback Hub, and the dir hub.

Every test pushes with `zoo push` (or zoo.push) and loads back with zoo.load / zoo.download:
create_repo, preupload, the NDJSON commit, validate-yaml (ModelCard.push_to_hub), model_info,
tree listing, HEAD + GET resolve all go over HTTP to tests/conftest.py's server.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers.example import (
    TINY,
    assert_same_state,
    card_path,
    make_checkpoint,
    render_example,
    set_card_weights,
)

import zoo_core as zoo
from zoo_core import api, cards
from zoo_core.cli import cli
from zoo_core.errors import (
    HubError,
    NoWeightsError,
    UnknownModelError,
    UnsafeWeightsError,
    WeightsIntegrityError,
)
from zoo_core.hub import DirSource
from zoo_core.testing.hub_server import git_blob_sha1


@pytest.fixture
def example(plugin_site):
    """The plugin template installed as plugin ``hubgan``; yields its model id."""
    model_id = render_example(plugin_site, "hubgan")
    plugin_site.activate()
    return model_id


def _push_cli(path: Path, repo_id: str, *extra: str) -> dict:
    result = CliRunner().invoke(cli, ["push", str(path), "--repo-id", repo_id, "--json", *extra])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# -- the Hugging Face Hub ---------------------------------------------------------------------


def test_push_then_load_by_repo_id_is_bit_exact(example, hub_server, tmp_path):
    ckpt, state = make_checkpoint(example, tmp_path, seed=1)
    pushed = _push_cli(ckpt, "zoo-test/roundtrip")

    files = hub_server.files("zoo-test/roundtrip")
    assert pushed["commit"] == hub_server.repos[("model", "zoo-test/roundtrip")].refs["main"]
    assert {"model.safetensors", "config.yaml", "README.md"} <= set(files)
    card = cards.parse(files["README.md"].decode(), "README.md")
    cards.validate(card)  # the published card follows the schema...
    assert card.weights["files"] == {  # ...and lists the sha256 of the bytes on the Hub
        name: _sha256(files[name]) for name in ("model.safetensors", "config.yaml")
    }
    assert "base_filters: 4" in files["config.yaml"].decode()
    assert card.metadata["license"] == "apache-2.0"  # the Hub refuses "Apache-2.0"

    start = len(hub_server.requests)
    model = zoo.load("zoo-test/roundtrip")
    assert_same_state(model, state)
    assert not model.training
    assert model.model_id == example
    assert model.weights_info["revision"] == pushed["commit"]
    assert model.weights_info["sha256"] == card.weights["files"]
    assert tuple(model.generate(n=2, seed=0).shape) == (2, 1, 16, 16)
    paths = [r.path.split("?")[0] for r in hub_server.log_since(start)]
    assert "/api/models/zoo-test/roundtrip" in paths  # model_info resolved main to its commit
    assert f"/zoo-test/roundtrip/resolve/{pushed['commit']}/model.safetensors" in paths


def test_revision_pinning_by_repo_id_and_by_registered_card(example, plugin_site, tmp_path):
    ckpt1, state1 = make_checkpoint(example, tmp_path, seed=1)
    ckpt2, state2 = make_checkpoint(example, tmp_path, seed=2)
    first = zoo.push(ckpt1, "zoo-test/pinned")
    second = zoo.push(ckpt2, "zoo-test/pinned")
    assert first.commit != second.commit

    assert_same_state(zoo.load("zoo-test/pinned"), state2)
    assert_same_state(zoo.load("zoo-test/pinned", revision=first.commit), state1)
    assert_same_state(zoo.load("zoo-test/pinned", revision=first.commit[:12]), state1)
    with pytest.raises(HubError, match="no revision 'v9'"):
        zoo.load("zoo-test/pinned", revision="v9")

    # A registered id whose card pins the first commit keeps getting the first weights.
    set_card_weights(
        card_path(plugin_site, "hubgan", example),
        {"repo_id": "zoo-test/pinned", "revision": first.commit, "files": first.files},
    )
    cards.validate(zoo.model_card(example))
    model = zoo.load(example)
    assert_same_state(model, state1)
    assert model.weights_info["revision"] == first.commit
    # Asking for another revision trusts that revision's own card.
    assert_same_state(zoo.load(example, revision="main"), state2)
    fetched = zoo.download(example)  # `zoo download ID` fills the cache at the pinned commit
    assert fetched.commit == first.commit
    assert sorted(fetched.files) == ["config.yaml", "model.safetensors"]
    assert all(f"snapshots/{first.commit}/" in p.as_posix() for p in fetched.files.values())


def test_model_card_push_to_hub_edits_the_card_and_loads_still_check(example, hub_server, tmp_path):
    from huggingface_hub import ModelCard

    ckpt, state = make_checkpoint(example, tmp_path, seed=3)
    first = zoo.push(ckpt, "zoo-test/card-edit")
    card = ModelCard.load("zoo-test/card-edit")
    card.text += "\n## Evaluation\n\nFID 12.3 on the held-out split.\n"
    edit = card.push_to_hub("zoo-test/card-edit", commit_message="Add evaluation")
    assert any(r.path == "/api/validate-yaml" for r in hub_server.requests)

    with pytest.raises(ValueError, match=r"license\W+ must be one of \[afl-3\.0"):  # as the Hub
        ModelCard("---\nlicense: Apache-2.0\n---\n# x\n").push_to_hub("zoo-test/card-edit")

    model = zoo.load("zoo-test/card-edit")
    assert_same_state(model, state)
    assert model.weights_info["revision"] not in (first.commit, None)
    assert model.weights_info["revision"] in edit  # the commit URL names the new commit
    assert "FID 12.3" in model.card.body

    # A card edit that lists another sha256 makes every load fail before anything is built.
    broken = cards.parse(str(card), "README.md")
    broken.metadata["zoo"]["weights"]["files"]["model.safetensors"] = "0" * 64
    ModelCard(broken.text()).push_to_hub("zoo-test/card-edit", commit_message="Wrong sha")
    with pytest.raises(WeightsIntegrityError, match=r"model\.safetensors"):
        zoo.load("zoo-test/card-edit")


def test_sha256_mismatch_loads_nothing_and_leaves_no_poisoned_cache(
    example, hub_server, tmp_path, monkeypatch
):
    ckpt, state = make_checkpoint(example, tmp_path, seed=4)
    pushed = zoo.push(ckpt, "zoo-test/tampered")
    good = hub_server.files("zoo-test/tampered")["model.safetensors"]
    tampered = bytearray(good)
    tampered[-1] ^= 0xFF  # one flipped bit in the last tensor: a valid file, wrong weights

    built = []
    real_build = api.build
    monkeypatch.setattr(api, "build", lambda *a: built.append(a) or real_build(*a))
    with (
        hub_server.serve_corrupted("zoo-test/tampered", "model.safetensors", bytes(tampered)),
        pytest.raises(WeightsIntegrityError) as caught,
    ):
        zoo.load("zoo-test/tampered")
    message = str(caught.value)
    assert "model.safetensors" in message and pushed.files["model.safetensors"] in message
    assert "Nothing was loaded" in message
    assert built == []  # no model was even built

    # The corrupted download was dropped from the cache, so the next load fetches it again.
    model = zoo.load("zoo-test/tampered")
    assert_same_state(model, state)
    assert len(built) == 1


def test_a_cached_file_damaged_on_disk_is_fetched_again_or_named_offline(
    example, hub_server, hf_cache, tmp_path, monkeypatch
):
    ckpt, state = make_checkpoint(example, tmp_path, seed=9)
    pushed = zoo.push(ckpt, "zoo-test/bitrot")
    zoo.load("zoo-test/bitrot")  # now cached
    cached = hf_cache / "models--zoo-test--bitrot" / "snapshots" / pushed.commit
    weights = cached / "model.safetensors"
    good = weights.read_bytes()

    weights.resolve().write_bytes(good[: len(good) // 2])  # truncated on disk after download
    assert_same_state(zoo.load("zoo-test/bitrot"), state)  # detected, fetched again, loaded
    assert weights.read_bytes() == good

    weights.resolve().write_bytes(good[:-1] + bytes([good[-1] ^ 1]))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_OFFLINE", True)
    with pytest.raises(WeightsIntegrityError) as caught:
        zoo.load("zoo-test/bitrot")
    message = str(caught.value)
    assert "sha256 of model.safetensors" in message and pushed.files["model.safetensors"] in message
    assert "removed from the cache; HF_HUB_OFFLINE is set, so go online" in message
    assert not weights.exists()


def test_download_cut_off_half_way_leaves_the_cache_usable(
    example, hub_server, hf_cache, tmp_path, monkeypatch
):
    import huggingface_hub.file_download as file_download

    ckpt, state = make_checkpoint(example, tmp_path, seed=5)
    pushed = zoo.push(ckpt, "zoo-test/flaky")
    monkeypatch.setattr(file_download.time, "sleep", lambda seconds: None)  # fast retries

    start = len(hub_server.requests)
    with (
        hub_server.cut_downloads(0.5, paths=("model.safetensors",)),
        pytest.raises(HubError, match=r"downloading zoo-test/flaky/model\.safetensors failed"),
    ):
        zoo.load("zoo-test/flaky")
    gets = [r for r in hub_server.log_since(start) if r.method == "GET" and "model.safe" in r.path]
    assert len(gets) >= 2  # the client tried to resume before giving up

    repo_cache = hf_cache / "models--zoo-test--flaky"
    snapshot = repo_cache / "snapshots" / pushed.commit
    assert not (snapshot / "model.safetensors").exists()  # nothing half-written under the name
    # Every complete blob in the cache is named by the ETag (git blob id) of its exact bytes.
    blobs = [p for p in (repo_cache / "blobs").iterdir() if not p.name.endswith(".incomplete")]
    assert blobs and all(git_blob_sha1(p.read_bytes()) == p.name for p in blobs)

    model = zoo.load("zoo-test/flaky")  # the server is healthy again
    assert_same_state(model, state)
    cached = snapshot / "model.safetensors"
    assert _sha256(cached.read_bytes()) == pushed.files["model.safetensors"]


def test_offline_load_from_the_cache_makes_no_request(example, hub_server, tmp_path):
    ckpt, state = make_checkpoint(example, tmp_path, seed=6)
    pushed = zoo.push(ckpt, "zoo-test/offline")

    start = len(hub_server.requests)
    result = CliRunner().invoke(cli, ["download", "zoo-test/offline"])
    assert result.exit_code == 0, result.output
    assert pushed.commit in result.output and "model.safetensors" in result.output
    paths = [r.path for r in hub_server.log_since(start)]
    assert any(p.startswith(f"/api/models/zoo-test/offline/tree/{pushed.commit}") for p in paths)

    script = textwrap.dedent(
        """
        import sys
        import zoo_core as zoo
        from zoo_core.errors import HubError
        from zoo_core.weights import save_state_dict

        model = zoo.load("zoo-test/offline")
        save_state_dict(model.state_dict(), sys.argv[1])
        print("revision", model.weights_info["revision"])
        try:
            zoo.load("zoo-test/never-downloaded")
        except HubError as exc:
            print("uncached:", exc)
        """
    )
    out = tmp_path / "offline.safetensors"
    start = len(hub_server.requests)
    proc = subprocess.run(
        [sys.executable, "-c", script, str(out)],
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert hub_server.log_since(start) == []  # not a single request reached the Hub
    assert f"revision {pushed.commit}" in proc.stdout
    assert (
        "uncached: README.md of zoo-test/never-downloaded is not in the local cache" in proc.stdout
    )
    assert "HF_HUB_OFFLINE" in proc.stdout

    from zoo_core.weights import load_state_dict

    offline_state = load_state_dict(out)
    for key, tensor in state.items():
        assert offline_state[key].dtype == tensor.dtype and (offline_state[key] == tensor).all()


def test_four_processes_loading_on_a_cold_cache_all_succeed(
    example, hub_server, hf_cache, tmp_path
):
    ckpt, state = make_checkpoint(example, tmp_path, seed=10)
    pushed = zoo.push(ckpt, "zoo-test/crowd")
    script = textwrap.dedent(
        """
        import sys
        import zoo_core as zoo
        from zoo_core.weights import save_state_dict

        save_state_dict(zoo.load("zoo-test/crowd").state_dict(), sys.argv[1])
        """
    )
    outs = [tmp_path / f"load{i}.safetensors" for i in range(4)]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    procs = [
        subprocess.Popen([sys.executable, "-c", script, str(out)], env=env, stderr=subprocess.PIPE)
        for out in outs
    ]  # all four start before any has cached anything
    errors = [proc.communicate(timeout=180)[1].decode()[-2000:] for proc in procs]
    assert [proc.returncode for proc in procs] == [0] * 4, errors

    from zoo_core.weights import load_state_dict

    for out in outs:
        loaded = load_state_dict(out)
        assert all(torch_equal(loaded[k], v) for k, v in state.items())
    repo_cache = hf_cache / "models--zoo-test--crowd"
    snapshot = repo_cache / "snapshots" / pushed.commit
    for name, sha in pushed.files.items():
        assert _sha256((snapshot / name).read_bytes()) == sha  # one consistent copy of each
    blobs = list((repo_cache / "blobs").iterdir())
    assert sorted(git_blob_sha1(p.read_bytes()) for p in blobs) == sorted(p.name for p in blobs)


def torch_equal(a, b) -> bool:
    import torch

    return a.dtype == b.dtype and torch.equal(a, b)


def test_registered_model_without_weights_says_how_to_get_some(example):
    with pytest.raises(NoWeightsError) as caught:
        zoo.load(example)
    message = str(caught.value)
    assert f"No weights are published for {example} yet" in message
    assert "pretrained=False" in message
    assert f"zoo train {example}" in message and "zoo push" in message
    with pytest.raises(NoWeightsError):
        zoo.download(example)
    fresh = zoo.load(example, pretrained=False, overrides=TINY)
    assert fresh.weights_info == {"pretrained": False} and not fresh.training


def test_unknown_id_names_the_closest_ids(example):
    with pytest.raises(UnknownModelError, match=f"Did you mean: {example}"):
        zoo.load("you-hubgan-exampel")
    result = CliRunner().invoke(cli, ["download", "you-hubgn-example"])
    assert result.exit_code == 1
    assert f"Did you mean: {example}" in result.output


def test_unknown_repo_on_the_hub_is_a_clear_error(example):
    with pytest.raises(HubError, match="zoo-test/no-such-repo does not exist on the Hub"):
        zoo.load("zoo-test/no-such-repo")


# -- the local-directory hub ------------------------------------------------------------------


def test_dir_hub_round_trip_pinning_and_env_var(example, hub_server, tmp_path, monkeypatch):
    root = tmp_path / "hub"
    ckpt1, state1 = make_checkpoint(example, tmp_path, seed=7)
    ckpt2, state2 = make_checkpoint(example, tmp_path, seed=8)
    start = len(hub_server.requests)
    first = _push_cli(ckpt1, "lab/dcgan", "--to", f"dir:{root}")
    monkeypatch.setenv("ZOO_HUB", f"dir:{root}")
    second = _push_cli(ckpt2, "lab/dcgan")  # ZOO_HUB picks the directory hub

    assert (root / "lab/dcgan/refs/main").read_text().strip() == second["commit"]
    commit_dir = root / "lab/dcgan/commits" / first["commit"]
    assert sorted(p.name for p in commit_dir.iterdir() if not p.name.startswith(".")) == [
        "README.md",
        "config.yaml",
        "model.safetensors",
    ]

    assert_same_state(zoo.load("lab/dcgan"), state2)
    assert_same_state(zoo.load("lab/dcgan", revision=first["commit"]), state1)
    monkeypatch.delenv("ZOO_HUB")
    model = zoo.load("lab/dcgan", source=f"dir:{root}", revision=first["commit"][:10])
    assert_same_state(model, state1)
    assert model.weights_info["source"] == f"dir:{root}"
    assert hub_server.log_since(start) == []  # the Hugging Face Hub was never asked

    # A file changed inside the hub folder is refused, and it says why.
    weights = root / "lab/dcgan/commits" / second["commit"] / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:-1] + b"\0")
    with pytest.raises(WeightsIntegrityError, match=r"sha256 of model\.safetensors"):
        zoo.load("lab/dcgan", source=f"dir:{root}")
    with pytest.raises(HubError, match="no revision 'v2'"):
        zoo.load("lab/dcgan", source=f"dir:{root}", revision="v2")
    with pytest.raises(HubError, match="lab/other does not exist in the directory hub"):
        zoo.load("lab/other", source=f"dir:{root}")


def test_mirror_a_hub_download_into_a_dir_hub_for_an_air_gapped_site(example, tmp_path):
    """`zoo download` on a connected machine, `zoo push FOLDER --to dir:` for the offline one."""
    ckpt, state = make_checkpoint(example, tmp_path, seed=10)
    zoo.push(ckpt, "zoo-test/mirrored")
    fetched = zoo.download("zoo-test/mirrored")
    folder = tmp_path / "carry"
    folder.mkdir()
    for name, path in fetched.files.items():
        (folder / name).write_bytes(path.read_bytes())
    root = tmp_path / "airgap"
    pushed = _push_cli(folder, "site/mirrored", "--to", f"dir:{root}", "--model-id", example)
    model = zoo.load("site/mirrored", source=f"dir:{root}")
    assert_same_state(model, state)
    assert model.weights_info["revision"] == pushed["commit"]
    assert pushed["files"] == {
        name: _sha256(path.read_bytes()) for name, path in fetched.files.items()
    }


class _Payload:
    """Pickles to a call that would create a file: what a malicious .pt does."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def _publish_pickle(root: Path, repo_id: str, example: str, payload, tmp_path: Path) -> None:
    import torch

    folder = tmp_path / repo_id.replace("/", "_")
    folder.mkdir()
    torch.save(payload, folder / "model.pt")
    cfg = api.model_config(example, TINY)
    from zoo_core import config as zoo_config

    (folder / "config.yaml").write_text(zoo_config.to_yaml(cfg))
    card = zoo.model_card(example)
    card.metadata["zoo"]["weights"] = {
        "repo_id": repo_id,
        "revision": None,
        "files": {n: _sha256((folder / n).read_bytes()) for n in ("model.pt", "config.yaml")},
    }
    (folder / "README.md").write_text(card.text())
    DirSource(root).publish(folder, repo_id, "pickle weights")


def test_pickle_weights_are_refused_unless_allowed_then_read_weights_only(example, tmp_path):
    import torch

    root = tmp_path / "hub"
    torch.manual_seed(9)
    state = zoo.load(example, pretrained=False, overrides=TINY).state_dict()
    _publish_pickle(root, "lab/pickled", example, dict(state), tmp_path)
    source = f"dir:{root}"

    with pytest.raises(UnsafeWeightsError, match=r"model\.pt is a pickle file.*allow_pickle=True"):
        zoo.load("lab/pickled", source=source)
    assert_same_state(zoo.load("lab/pickled", source=source, allow_pickle=True), state)

    marker = tmp_path / "pwned"
    _publish_pickle(root, "lab/malicious", example, {"w": _Payload(marker)}, tmp_path)
    with pytest.raises(UnsafeWeightsError, match="weights_only=True refused it"):
        zoo.load("lab/malicious", source=source, allow_pickle=True)
    assert not marker.exists()  # the payload never ran


def test_hub_server_is_a_context_manager_with_hub_errors(tmp_path):
    """Plugin authors start their own server; 404s carry the codes the client relies on."""
    import http.client

    from zoo_core.testing.hub_server import HubServer

    with HubServer() as other:
        commit = other.commit("org/repo", {"a.txt": b"hello"})
        host, port = other.url.removeprefix("http://").split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=10)
        answers = {}
        for path in (
            "/org/repo/resolve/main/a.txt",
            "/org/repo/resolve/main/b.txt",
            "/org/repo/resolve/v9/a.txt",
            "/org/none/resolve/main/a.txt",
        ):
            conn.request("HEAD", path)  # one keep-alive connection for all four
            response = conn.getresponse()
            response.read()
            answers[path] = (
                response.status,
                response.getheader("X-Error-Code"),
                response.getheader("X-Repo-Commit"),
            )
        conn.close()
        assert answers == {
            "/org/repo/resolve/main/a.txt": (200, None, commit),
            "/org/repo/resolve/main/b.txt": (404, "EntryNotFound", commit),
            "/org/repo/resolve/v9/a.txt": (404, "RevisionNotFound", None),
            "/org/none/resolve/main/a.txt": (404, "RepoNotFound", None),
        }
        assert [r.method for r in other.requests] == ["HEAD"] * 4
    with pytest.raises(OSError):
        http.client.HTTPConnection(host, int(port), timeout=2).request("GET", "/")


def test_push_refuses_what_it_cannot_publish_and_publishes_nothing(example, tmp_path):
    import torch

    from zoo_core.errors import ZooError
    from zoo_core.weights import save_state_dict

    root = tmp_path / "hub"
    to = f"dir:{root}"
    plain = save_state_dict({"w": torch.zeros(2)}, tmp_path / "plain.safetensors")
    with pytest.raises(ZooError, match="is not a zoo training checkpoint"):
        zoo.push(plain, "lab/x", to=to)
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "model.safetensors").write_bytes(plain.read_bytes())
    with pytest.raises(ZooError, match=r"has no config\.yaml"):
        zoo.push(folder, "lab/x", to=to, model_id=example)
    (folder / "config.yaml").write_text("model:\n  base_filterz: 4\n")
    with pytest.raises(ZooError, match=r"refusing to publish: .*unknown key 'model\.base_filterz'"):
        zoo.push(folder, "lab/x", to=to, model_id=example)
    with pytest.raises(ZooError, match="cannot tell which model this is"):
        zoo.push(folder, "lab/x", to=to)
    with pytest.raises(HubError, match="must look like 'ORG/NAME'"):
        zoo.push(folder, "not-a-repo-id", to=to, model_id=example)
    assert not root.exists()


PUBLISH_THEN_DIE = textwrap.dedent(
    """
    import os, shutil, signal, sys
    from pathlib import Path
    from zoo_core.hub import DirSource

    root, folder, moment = sys.argv[1:]
    if moment == "copying":  # the second file of the commit is being copied
        copy, copied = shutil.copyfile, []

        def copyfile(src, dst, **kw):
            copied.append(src)
            if len(copied) == 2:
                os.kill(os.getpid(), signal.SIGKILL)
            return copy(src, dst, **kw)

        shutil.copyfile = copyfile
    else:  # the commit is complete, the branch is about to move to it
        replace = os.replace

        def moving(src, dst):
            if Path(dst).name == "main":
                os.kill(os.getpid(), signal.SIGKILL)
            return replace(src, dst)

        os.replace = moving
    DirSource(root).publish(Path(folder), "lab/model", "second push")
    """
)


@pytest.mark.parametrize("moment", ["copying", "before-the-branch-moves"])
def test_kill_9_during_a_dir_hub_push_leaves_the_hub_as_it_was(tmp_path, moment):
    root = tmp_path / "hub"
    first, second = tmp_path / "v1", tmp_path / "v2"
    for folder, body in ((first, b"one"), (second, b"two")):
        folder.mkdir()
        for name in ("README.md", "config.yaml", "model.safetensors"):
            (folder / name).write_bytes(body + name.encode())
    hub = DirSource(root)
    old = hub.publish(first, "lab/model", "first push")

    script = tmp_path / "die.py"
    script.write_text(PUBLISH_THEN_DIE)
    killed = subprocess.run(
        [sys.executable, str(script), str(root), str(second), moment],
        capture_output=True,
        timeout=120,
    )
    assert killed.returncode == -9, killed.stderr[-2000:]

    assert hub.resolve("lab/model", None) == old  # main still names the first push
    fetched = hub.fetch("lab/model", ["README.md", "config.yaml", "model.safetensors"], None)
    assert {n: p.read_bytes() for n, p in fetched.files.items()} == {
        n: (first / n).read_bytes() for n in fetched.files
    }
    commits = sorted(p.name for p in (root / "lab/model/commits").iterdir())
    if moment == "copying":
        assert commits == [old]  # no half commit: the copy was still in a staging folder
    else:  # the new commit is there, whole, but nothing points at it yet
        (new,) = set(commits) - {old}
        assert sorted(p.name for p in (root / "lab/model/commits" / new).iterdir()) == [
            ".commit_message", "README.md", "config.yaml", "model.safetensors"
        ]  # fmt: skip
    # and the next push goes through
    assert hub.resolve("lab/model", hub.publish(second, "lab/model", "again")) != old
