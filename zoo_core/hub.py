"""Where published weights live: the Hugging Face Hub or a local-directory hub.

The Hugging Face source is huggingface_hub itself, so its cache, ``HF_ENDPOINT`` (mirrors),
``HF_HUB_OFFLINE`` and tokens all apply. The directory source (``dir:PATH``) keeps the same
repo layout for air-gapped sites and the offline demo::

    PATH/ORG/NAME/refs/main            the commit id the branch points to
    PATH/ORG/NAME/commits/<sha1>/...   one folder per commit, written atomically

``ZOO_HUB=dir:PATH`` makes every load and push without an explicit source use that folder.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from zoo_core.errors import HubError

HUB_ENV = "ZOO_HUB"
_REPO_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


def is_repo_id(name: str) -> bool:
    return bool(_REPO_ID.match(name or ""))


def check_repo_id(repo_id: str) -> None:
    if not is_repo_id(repo_id):
        raise HubError(f"repo id {repo_id!r} must look like 'ORG/NAME'.")


@dataclass
class Fetched:
    files: dict[str, Path]
    commit: str | None
    source: str


_COMMIT = re.compile(r"^[0-9a-f]{40}$")


def _snapshot_commit(path: Path) -> str | None:
    """The commit a file of the huggingface_hub cache belongs to (``snapshots/<commit>/...``)."""
    parts = path.parts
    for i in range(1, len(parts) - 1):
        if parts[i] == "snapshots" and parts[i - 1].startswith(("models--", "datasets--")):
            return parts[i + 1]
    return None


class HFSource:
    """The Hugging Face Hub (or a mirror at ``HF_ENDPOINT``) through huggingface_hub.

    A branch or tag is resolved to its commit once (``model_info``), and every file is then
    fetched at that commit, so a card and the weights it lists can never come from two
    different pushes. Offline (``HF_HUB_OFFLINE=1``) the cache resolves the branch instead.
    """

    name = "hf"

    def __init__(self, *, cache_dir: str | Path | None = None, local_files_only: bool = False):
        """``cache_dir`` replaces huggingface_hub's cache (``HF_HUB_CACHE``) for this source;
        ``local_files_only`` answers from that cache alone, as ``HF_HUB_OFFLINE=1`` does, but
        for one load instead of the whole process."""
        self.cache_dir = Path(cache_dir).expanduser() if cache_dir is not None else None
        self.local_files_only = local_files_only

    def _offline(self) -> bool:
        from huggingface_hub import constants

        return self.local_files_only or constants.is_offline_mode()

    def _cache(self) -> Path:
        from huggingface_hub import constants

        return self.cache_dir or Path(constants.HF_HUB_CACHE)

    def _client_options(self) -> dict[str, object]:
        """What every download call passes on, so that a per-load cache or offline mode holds
        for the card and for the files it lists alike."""
        options: dict[str, object] = {"local_files_only": self._offline()}
        if self.cache_dir is not None:
            options["cache_dir"] = str(self.cache_dir)
        return options

    @contextmanager
    def _errors(self, repo_id: str, revision: str | None, filename: str = "") -> Iterator[None]:
        """Turn huggingface_hub's exceptions into one-line HubErrors that say what to do."""
        from huggingface_hub.errors import (
            EntryNotFoundError,
            LocalEntryNotFoundError,
            OfflineModeIsEnabled,
            RepositoryNotFoundError,
            RevisionNotFoundError,
        )

        try:
            yield
        except RepositoryNotFoundError:
            raise HubError(
                f"{repo_id} does not exist on the Hub (or you have no access)."
            ) from None
        except RevisionNotFoundError:
            raise HubError(f"{repo_id} has no revision {revision!r}.") from None
        # LocalEntryNotFoundError derives from EntryNotFoundError: it must be caught first.
        except (LocalEntryNotFoundError, OfflineModeIsEnabled):
            what = f"{filename} of {repo_id}" if filename else f"{repo_id}@{revision or 'main'}"
            raise HubError(
                f"{what} is not in the local cache and the Hub cannot be reached "
                "(HF_HUB_OFFLINE or no network). Run `zoo download` while online, "
                "or use a local-directory hub (source='dir:PATH')."
            ) from None
        except EntryNotFoundError:
            raise HubError(f"{repo_id}@{revision or 'main'} has no file {filename!r}.") from None
        except OSError as exc:  # HTTP errors, broken connections, size mismatches
            what = f"{repo_id}/{filename}" if filename else repo_id
            raise HubError(f"downloading {what} failed: {type(exc).__name__}: {exc}") from None
        except Exception as exc:  # httpx errors that escape the client's retries
            if not type(exc).__module__.startswith(("httpx", "httpcore")):  # httpx or httpx2
                raise
            what = f"{repo_id}/{filename}" if filename else repo_id
            raise HubError(
                f"downloading {what} failed: {type(exc).__name__}: {exc}. Nothing broken was "
                "kept in the cache; run the command again when the connection is back."
            ) from None

    def resolve(self, repo_id: str, revision: str | None) -> str | None:
        """The commit id a revision names, or None offline (the cache resolves it then)."""
        if revision is not None and _COMMIT.match(revision):
            return revision
        if self._offline():
            return revision
        from huggingface_hub import HfApi

        with self._errors(repo_id, revision):
            sha = HfApi().model_info(repo_id, revision=revision).sha
        self._remember_ref(repo_id, revision or "main", sha)
        return sha

    def _remember_ref(self, repo_id: str, revision: str, sha: str) -> None:
        """Record ``revision -> sha`` in the cache's ``refs/`` (its documented layout).

        hf_hub_download records a branch only when it is asked for by name; the zoo asks for
        files by commit id (resolved here), so without this an offline load by branch
        (``HF_HUB_OFFLINE=1``, no revision) would not find what ``zoo download`` cached.
        """
        if revision == sha:
            return
        folder = self._cache() / ("models--" + repo_id.replace("/", "--"))
        ref = folder / "refs" / revision
        try:
            if ref.is_file() and ref.read_text().strip() == sha:
                return
            ref.parent.mkdir(parents=True, exist_ok=True)
            tmp = ref.with_name(f".{ref.name}.{os.getpid()}.tmp")
            tmp.write_text(sha)
            os.replace(tmp, ref)
        except OSError:  # a read-only cache: offline loads then need an explicit revision
            pass

    def fetch(self, repo_id: str, filenames: list[str], revision: str | None) -> Fetched:
        from huggingface_hub import hf_hub_download

        files: dict[str, Path] = {}
        for filename in filenames:
            with self._errors(repo_id, revision, filename):
                files[filename] = Path(
                    hf_hub_download(repo_id, filename, revision=revision, **self._client_options())
                )
        commit = _snapshot_commit(next(iter(files.values()))) if files else None
        return Fetched(files, commit or revision, self.name)

    def snapshot(self, repo_id: str, filenames: list[str], revision: str | None) -> Fetched:
        """Download the listed files of one commit into the cache in one call."""
        from huggingface_hub import snapshot_download

        with self._errors(repo_id, revision):
            folder = Path(
                snapshot_download(
                    repo_id,
                    revision=revision,
                    allow_patterns=list(filenames),
                    **self._client_options(),
                )
            )
        files = {}
        for filename in filenames:
            if not (folder / filename).is_file():
                raise HubError(f"{repo_id}@{revision or 'main'} has no file {filename!r}.")
            files[filename] = folder / filename
        return Fetched(files, _snapshot_commit(folder / "x") or revision, self.name)

    def can_refetch(self) -> bool:
        """Whether an evicted file can be downloaded again now (not offline)."""
        return not self._offline()

    def evict(self, files: dict[str, Path]) -> None:
        """Drop files from the cache (the snapshot link and its blob), e.g. after a bad sha256.

        Without this a file pinned by commit would be served from the cache, unchecked by
        the Hub, on every later load: one corrupted download would poison the cache for good.
        """
        for path in files.values():
            target = path.resolve()
            path.unlink(missing_ok=True)
            if target != path:
                target.unlink(missing_ok=True)

    def publish(self, folder: Path, repo_id: str, message: str, private: bool = False) -> str:
        from huggingface_hub import create_repo, upload_folder

        try:
            create_repo(repo_id, exist_ok=True, private=private)
            info = upload_folder(repo_id=repo_id, folder_path=str(folder), commit_message=message)
        except Exception as exc:  # the Hub commit is atomic: nothing half-uploaded remains
            raise HubError(f"uploading to {repo_id} failed: {type(exc).__name__}: {exc}") from None
        return info.oid

    def describe(self) -> str:
        from huggingface_hub import constants

        return constants.ENDPOINT


class DirSource:
    """A folder laid out like a Hub: refs, immutable commits, atomic publishing."""

    name = "dir"

    def __init__(self, root: str | Path):
        self.root = Path(root).expanduser()

    def _repo(self, repo_id: str) -> Path:
        check_repo_id(repo_id)
        return self.root / repo_id

    def resolve(self, repo_id: str, revision: str | None) -> str:
        repo = self._repo(repo_id)
        if not repo.is_dir():
            raise HubError(f"{repo_id} does not exist in the directory hub {self.root}.")
        revision = revision or "main"
        ref = repo / "refs" / revision
        if ref.is_file():
            return ref.read_text().strip()
        if re.fullmatch(r"[0-9a-f]{7,40}", revision):
            matches = [p.name for p in (repo / "commits").iterdir() if p.name.startswith(revision)]
            if len(matches) == 1:
                return matches[0]
        raise HubError(f"{repo_id} has no revision {revision!r} in {self.root}.")

    def fetch(self, repo_id: str, filenames: list[str], revision: str | None) -> Fetched:
        commit = self.resolve(repo_id, revision)
        folder = self._repo(repo_id) / "commits" / commit
        files = {}
        for filename in filenames:
            path = folder / filename
            if not path.is_file():
                raise HubError(f"{repo_id}@{commit[:8]} has no file {filename!r} in {self.root}.")
            files[filename] = path
        return Fetched(files, commit, f"dir:{self.root}")

    snapshot = fetch  # a directory hub is its own cache

    def can_refetch(self) -> bool:
        """Never: fetching again reads the same files."""
        return False

    def evict(self, files: dict[str, Path]) -> None:
        """Nothing to drop: the folder is the hub itself, not a cache of it."""

    def publish(self, folder: Path, repo_id: str, message: str, private: bool = False) -> str:
        repo = self._repo(repo_id)
        (repo / "commits").mkdir(parents=True, exist_ok=True)
        (repo / "refs").mkdir(exist_ok=True)
        parent = (
            (repo / "refs" / "main").read_text().strip() if (repo / "refs/main").exists() else ""
        )
        digest = hashlib.sha1(f"{parent}\n{message}\n".encode())
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                digest.update(path.relative_to(folder).as_posix().encode())
                digest.update(path.read_bytes())
        commit = digest.hexdigest()
        target = repo / "commits" / commit
        if not target.exists():
            staging = Path(tempfile.mkdtemp(prefix=".incoming-", dir=repo))
            try:
                shutil.copytree(folder, staging, dirs_exist_ok=True)
                (staging / ".commit_message").write_text(message)
                os.rename(staging, target)
            finally:
                shutil.rmtree(staging, ignore_errors=True)
        ref_tmp = repo / "refs" / f".main.{os.getpid()}.tmp"
        ref_tmp.write_text(commit + "\n")
        os.replace(ref_tmp, repo / "refs" / "main")
        return commit

    def describe(self) -> str:
        return f"dir:{self.root}"


def get_source(
    source: str | None = None,
    *,
    cache_dir: str | Path | None = None,
    local_files_only: bool = False,
) -> HFSource | DirSource:
    """``None`` (``$ZOO_HUB`` or the Hugging Face Hub), ``"hf"`` or ``"dir:PATH"``.

    ``cache_dir`` and ``local_files_only`` apply to the Hugging Face source; a directory hub
    is a local folder already, its own cache, so they change nothing there.
    """
    source = source or os.environ.get(HUB_ENV) or "hf"
    if source == "hf":
        return HFSource(cache_dir=cache_dir, local_files_only=local_files_only)
    if source.startswith("dir:") and len(source) > 4:
        return DirSource(source[4:])
    raise HubError(f"unknown hub source {source!r}: use 'hf' or 'dir:PATH'.")
