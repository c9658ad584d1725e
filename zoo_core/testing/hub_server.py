"""A Hugging Face Hub look-alike on 127.0.0.1, for testing Hub I/O with the real client.

The zoo's Hub code is huggingface_hub itself; what needs faking in a test is only the far end
of the wire. :class:`HubServer` answers the endpoints huggingface_hub 2.x calls to create a
repo, commit files (NDJSON, every file sent inline as ``uploadMode: "regular"``, so Xet and
LFS never come into play), read repo info, list trees and download files, with the headers
the client relies on (``X-Repo-Commit``, ``ETag``, exact ``Content-Length``, ``X-Error-Code``
on 404s). Commits are immutable and named by 40-hex ids, so revision pinning behaves as on the
Hub. Plugin authors can reuse it for their own tests::

    with HubServer() as hub:
        os.environ["HF_ENDPOINT"] = hub.url  # before huggingface_hub is first imported
        ...

Two switches help test failure handling: :meth:`HubServer.cut_downloads` ends file downloads
half-way (the connection drops, as on a flaky network) and :meth:`HubServer.serve_corrupted`
replaces a file's bytes on the wire (a broken mirror). :attr:`HubServer.requests` logs every
request, so a test can prove that an offline load made none.
"""

from __future__ import annotations

import base64
import hashlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import yaml

REPO_TYPES = ("model", "dataset", "space")
#: Licence ids the Hub's metadata check accepts (its lower-case spelling of SPDX ids, plus its
#: own keys); a README whose ``license`` is not among them is refused, as on the Hub.
HUB_LICENSES = frozenset(
    [
        "apache-2.0",
        "mit",
        "openrail",
        "bigscience-openrail-m",
        "creativeml-openrail-m",
        "bigscience-bloom-rail-1.0",
        "bigcode-openrail-m",
        "afl-3.0",
        "artistic-2.0",
        "bsl-1.0",
        "bsd",
        "bsd-2-clause",
        "bsd-3-clause",
        "bsd-3-clause-clear",
        "c-uda",
        "cc",
        "cc0-1.0",
        "cc-by-2.0",
        "cc-by-2.5",
        "cc-by-3.0",
        "cc-by-4.0",
        "cc-by-sa-3.0",
        "cc-by-sa-4.0",
        "cc-by-nc-2.0",
        "cc-by-nc-3.0",
        "cc-by-nc-4.0",
        "cc-by-nd-4.0",
        "cc-by-nc-nd-3.0",
        "cc-by-nc-nd-4.0",
        "cc-by-nc-sa-2.0",
        "cc-by-nc-sa-3.0",
        "cc-by-nc-sa-4.0",
        "cdla-sharing-1.0",
        "cdla-permissive-1.0",
        "cdla-permissive-2.0",
        "wtfpl",
        "ecl-2.0",
        "epl-1.0",
        "epl-2.0",
        "etalab-2.0",
        "eupl-1.1",
        "eupl-1.2",
        "agpl-3.0",
        "gfdl",
        "gpl",
        "gpl-2.0",
        "gpl-3.0",
        "lgpl",
        "lgpl-2.1",
        "lgpl-3.0",
        "isc",
        "lppl-1.3c",
        "ms-pl",
        "mpl-2.0",
        "odc-by",
        "odbl",
        "openrail++",
        "osl-3.0",
        "postgresql",
        "ofl-1.1",
        "ncsa",
        "unlicense",
        "zlib",
        "pddl",
        "lgpl-lr",
        "llama2",
        "llama3",
        "gemma",
        "unknown",
        "other",
    ]
)
_GITATTRIBUTES = b"*.safetensors filter=lfs diff=lfs merge=lfs -text\n"


def git_blob_sha1(data: bytes) -> str:
    """The git object id of a file, which the Hub reports as a file's ``oid``."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


@dataclass(frozen=True)
class Commit:
    """One immutable snapshot of a repo."""

    sha: str
    parent: str | None
    message: str
    files: dict[str, bytes]
    timestamp: float


@dataclass
class Repo:
    repo_id: str
    repo_type: str
    private: bool = False
    commits: dict[str, Commit] = field(default_factory=dict)
    refs: dict[str, str] = field(default_factory=dict)

    def resolve(self, revision: str) -> Commit | None:
        """A branch, a full commit id or an unambiguous prefix of one (7+ hex digits)."""
        if revision in self.refs:
            return self.commits[self.refs[revision]]
        if revision in self.commits:
            return self.commits[revision]
        if len(revision) >= 7:
            found = [c for sha, c in self.commits.items() if sha.startswith(revision)]
            if len(found) == 1:
                return found[0]
        return None


@dataclass(frozen=True)
class Request:
    """One logged request: method, path (with query) and the thread-safe arrival time."""

    method: str
    path: str
    time: float


class _HubError(Exception):
    def __init__(self, status: int, code: str | None, message: str, commit: str | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.commit = status, code, message, commit


class HubServer:
    """A threaded HTTP/1.1 server that huggingface_hub takes for the Hub.

    State lives in memory: repos, their commits and branch refs. Use it as a context manager
    (or call :meth:`start` / :meth:`stop`); :attr:`url` is what ``HF_ENDPOINT`` must be set to.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, user: str = "zoo-tester"):
        self.user = user
        self.repos: dict[tuple[str, str], Repo] = {}
        self.requests: list[Request] = []
        self._lock = threading.RLock()
        self._cut_fraction: float | None = None
        self._cut_paths: tuple[str, ...] | None = None
        self._corrupted: dict[tuple[str, str], bytes] = {}
        self._counter = 0
        handler = type("_BoundHandler", (_Handler,), {"hub": self})
        self._httpd = ThreadingHTTPServer((host, port), handler)
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    # -- life cycle ----------------------------------------------------------------------------

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> HubServer:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._httpd.serve_forever, name="zoo-hub-server", daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join()
            self._thread = None
        self._httpd.server_close()

    def __enter__(self) -> HubServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- switches for tests ------------------------------------------------------------------

    @contextmanager
    def cut_downloads(
        self, fraction: float = 0.5, paths: tuple[str, ...] | None = None
    ) -> Iterator[None]:
        """While active, file downloads send ``fraction`` of their body and drop the line.

        ``paths`` limits the cut to those file paths (any repo); None cuts every download.

        Range requests (the client resuming) get their headers and then no byte at all, so a
        client's resume attempts run out (as while the network is down) instead of completing.
        """
        self._cut_fraction, self._cut_paths = fraction, paths
        try:
            yield
        finally:
            self._cut_fraction, self._cut_paths = None, None

    @contextmanager
    def serve_corrupted(self, repo_id: str, path: str, data: bytes) -> Iterator[None]:
        """While active, ``path`` of ``repo_id`` is served as ``data`` at every revision."""
        self._corrupted[(repo_id, path)] = data
        try:
            yield
        finally:
            self._corrupted.pop((repo_id, path), None)

    def clear_log(self) -> None:
        with self._lock:
            self.requests.clear()

    def log_since(self, count: int) -> list[Request]:
        with self._lock:
            return list(self.requests[count:])

    # -- direct access (for setting up fixtures without the client) -----------------------

    def create_repo(self, repo_id: str, repo_type: str = "model", private: bool = False) -> Repo:
        with self._lock:
            key = (repo_type, repo_id)
            if key not in self.repos:
                repo = Repo(repo_id, repo_type, private)
                self.repos[key] = repo
                self._commit(repo, "main", "initial commit", {".gitattributes": _GITATTRIBUTES})
            return self.repos[key]

    def commit(
        self,
        repo_id: str,
        files: dict[str, bytes],
        message: str = "update",
        *,
        deleted: tuple[str, ...] = (),
        branch: str = "main",
        repo_type: str = "model",
    ) -> str:
        """Add or replace ``files`` (and delete ``deleted``) on ``branch``; returns the commit."""
        with self._lock:
            repo = self.repos.get((repo_type, repo_id)) or self.create_repo(repo_id, repo_type)
            return self._commit(repo, branch, message, files, deleted)

    def files(self, repo_id: str, revision: str = "main", repo_type: str = "model") -> dict:
        with self._lock:
            commit = self.repos[(repo_type, repo_id)].resolve(revision)
            if commit is None:
                raise KeyError(revision)
            return dict(commit.files)

    def _commit(
        self,
        repo: Repo,
        branch: str,
        message: str,
        added: dict[str, bytes],
        deleted: tuple[str, ...] | list[str] = (),
        deleted_folders: tuple[str, ...] | list[str] = (),
    ) -> str:
        parent = repo.refs.get(branch)
        files = dict(repo.commits[parent].files) if parent else {}
        for path in deleted:
            files.pop(path, None)
        for folder in deleted_folders:
            prefix = folder.rstrip("/") + "/"
            files = {p: d for p, d in files.items() if not p.startswith(prefix)}
        files.update(added)
        self._counter += 1
        digest = hashlib.sha1(f"{repo.repo_id}\n{parent}\n{message}\n{self._counter}".encode())
        for path in sorted(files):
            digest.update(f"{path}\0{git_blob_sha1(files[path])}\n".encode())
        sha = digest.hexdigest()
        repo.commits[sha] = Commit(sha, parent, message, files, time.time())
        repo.refs[branch] = sha
        return sha

    def _served_bytes(self, repo: Repo, path: str, data: bytes) -> bytes:
        return self._corrupted.get((repo.repo_id, path), data)


def _card_errors(content: str) -> list[str]:
    """What the Hub's metadata check says about a README (the subset the zoo can trip)."""
    if not content.startswith("---"):
        return []
    parts = content.split("---", 2)
    if len(parts) < 3:
        return ["metadata block is not closed by '---'"]
    try:
        data = yaml.safe_load(parts[1])
    except yaml.YAMLError as exc:
        return [f"invalid YAML: {exc}"]
    if data is None:
        return []
    if not isinstance(data, dict):
        return ["metadata must be a mapping"]
    errors = []
    licence = data.get("license")
    for value in licence if isinstance(licence, list) else [licence]:
        if value is not None and value not in HUB_LICENSES:
            errors.append(f'"license" must be one of [{", ".join(sorted(HUB_LICENSES))}]')
    for key in ("tags", "datasets", "metrics"):
        value = data.get(key)
        if value is not None and not (
            isinstance(value, str) or all(isinstance(v, str) for v in value)
        ):
            errors.append(f'"{key}" must be a string or a list of strings')
    return errors


def _iso(timestamp: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(timestamp))


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ZooHub/1.0"
    hub: HubServer  # set on the bound subclass

    def log_message(self, format: str, *args: Any) -> None:  # quiet: tests read hub.requests
        pass

    # -- plumbing ------------------------------------------------------------------------------

    def _read_body(self) -> bytes:
        """Read the whole request body, so the keep-alive connection stays in sync."""
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            body = b"".join(chunks)
        else:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
        if self.headers.get("Content-Encoding", "").lower() == "gzip":
            import gzip

            body = gzip.decompress(body)
        return body

    def _send(
        self,
        status: int,
        body: bytes = b"",
        headers: dict[str, str] | None = None,
        content_type: str = "application/json",
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(payload).encode(), headers)

    def _error(self, err: _HubError) -> None:
        headers = {}
        if err.code:
            headers["X-Error-Code"] = err.code
        headers["X-Error-Message"] = err.message
        if err.commit:
            headers["X-Repo-Commit"] = err.commit
        self._json(err.status, {"error": err.message}, headers)

    def _dispatch(self) -> None:
        body = self._read_body()
        hub = self.hub
        with hub._lock:
            hub.requests.append(Request(self.command, self.path, time.time()))
        url = urlsplit(self.path)
        try:
            self._route(url.path, parse_qs(url.query), body)
        except _HubError as err:
            self._error(err)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception as exc:  # a server bug: tell the client, do not hang it
            self._json(500, {"error": f"{type(exc).__name__}: {exc}"})

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = _dispatch

    # -- routing -------------------------------------------------------------------------------

    def _route(self, path: str, query: dict[str, list[str]], body: bytes) -> None:
        parts = [unquote(p) for p in path.split("/")[1:]]
        if parts[:1] == ["api"]:
            return self._api(parts[1:], query, body)
        repo_type = "model"
        if parts and parts[0] in ("datasets", "spaces"):
            repo_type, parts = parts[0][:-1], parts[1:]
        if len(parts) >= 5 and parts[2] == "resolve" and self.command in ("GET", "HEAD"):
            repo = self._repo(repo_type, f"{parts[0]}/{parts[1]}")
            return self._resolve(repo, parts[3], "/".join(parts[4:]))
        raise _HubError(404, None, f"no route for {self.command} {path}")

    def _api(self, parts: list[str], query: dict, body: bytes) -> None:
        method = self.command
        if parts == ["whoami-v2"]:
            user = self.hub.user
            return self._json(
                200,
                {
                    "type": "user",
                    "name": user,
                    "fullname": user,
                    "orgs": [],
                    "auth": {"type": "access_token", "accessToken": {"role": "write"}},
                },
            )
        if parts == ["repos", "create"] and method == "POST":
            return self._create_repo(json.loads(body or b"{}"))
        if parts == ["validate-yaml"] and method == "POST":
            return self._validate_yaml(json.loads(body or b"{}"))
        if len(parts) >= 3 and parts[0] in ("models", "datasets", "spaces"):
            repo_type = parts[0][:-1]
            repo = self._repo(repo_type, f"{parts[1]}/{parts[2]}")
            rest = parts[3:]
            if not rest and method == "GET":
                return self._info(repo, "main")
            if rest[:1] == ["revision"] and len(rest) >= 2 and method == "GET":
                return self._info(repo, "/".join(rest[1:]))
            if rest[:1] == ["tree"] and len(rest) >= 2 and method == "GET":
                return self._tree(repo, rest[1], "/".join(rest[2:]), query)
            if rest[:1] == ["preupload"] and len(rest) >= 2 and method == "POST":
                return self._preupload(repo, "/".join(rest[1:]), json.loads(body or b"{}"))
            if rest[:1] == ["commit"] and len(rest) >= 2 and method == "POST":
                return self._commit(repo, "/".join(rest[1:]), body)
        raise _HubError(404, None, f"no API route for {method} /api/{'/'.join(parts)}")

    def _repo(self, repo_type: str, repo_id: str) -> Repo:
        repo = self.hub.repos.get((repo_type, repo_id))
        if repo is None:
            raise _HubError(404, "RepoNotFound", f"Repository {repo_id} not found")
        return repo

    def _commit_of(self, repo: Repo, revision: str) -> Commit:
        commit = repo.resolve(revision)
        if commit is None:
            raise _HubError(404, "RevisionNotFound", f"Invalid rev id: {revision}")
        return commit

    # -- endpoints -----------------------------------------------------------------------------

    def _create_repo(self, payload: dict) -> None:
        name, org = payload.get("name", ""), payload.get("organization")
        repo_id = f"{org}/{name}" if org else f"{self.hub.user}/{name}"
        repo_type = payload.get("type") or "model"
        if repo_type not in REPO_TYPES:
            raise _HubError(400, None, f"unknown repo type {repo_type!r}")
        prefix = "" if repo_type == "model" else f"{repo_type}s/"
        url = f"{self.hub.url}/{prefix}{repo_id}"
        with self.hub._lock:
            exists = (repo_type, repo_id) in self.hub.repos
            if not exists:
                self.hub.create_repo(repo_id, repo_type, bool(payload.get("private")))
        if exists:
            return self._json(409, {"error": "You already created this repo", "url": url})
        return self._json(200, {"url": url, "name": repo_id, "id": repo_id})

    def _validate_yaml(self, payload: dict) -> None:
        errors = _card_errors(payload.get("content", ""))
        body = {"errors": [{"message": e} for e in errors], "warnings": []}
        return self._json(400 if errors else 200, body)

    def _info(self, repo: Repo, revision: str) -> None:
        with self.hub._lock:
            commit = self._commit_of(repo, revision)
        card_data = None
        readme = commit.files.get("README.md")
        if readme is not None and readme.startswith(b"---"):
            try:
                card_data = yaml.safe_load(readme.decode().split("---", 2)[1])
            except (yaml.YAMLError, IndexError, UnicodeDecodeError):
                card_data = None
        payload = {
            "_id": hashlib.sha1(repo.repo_id.encode()).hexdigest()[:24],
            "id": repo.repo_id,
            "modelId": repo.repo_id,
            "author": repo.repo_id.split("/")[0],
            "sha": commit.sha,
            "lastModified": _iso(commit.timestamp),
            "private": repo.private,
            "disabled": False,
            "gated": False,
            "downloads": 0,
            "likes": 0,
            "tags": list((card_data or {}).get("tags") or []),
            "library_name": (card_data or {}).get("library_name"),
            "siblings": [
                {"rfilename": path, "size": len(data), "blobId": git_blob_sha1(data)}
                for path, data in sorted(commit.files.items())
            ],
        }
        if isinstance(card_data, dict):
            payload["cardData"] = card_data
        self._json(200, payload)

    def _tree(self, repo: Repo, revision: str, folder: str, query: dict) -> None:
        with self.hub._lock:
            commit = self._commit_of(repo, revision)
        recursive = query.get("recursive", ["false"])[0].lower() in ("1", "true")
        prefix = folder.strip("/") + "/" if folder.strip("/") else ""
        entries: dict[str, dict] = {}
        for path, data in sorted(commit.files.items()):
            if not path.startswith(prefix):
                continue
            relative = path[len(prefix) :].split("/")
            for depth in range(1, len(relative)):
                directory = prefix + "/".join(relative[:depth])
                if recursive or depth == 1:
                    entries.setdefault(
                        directory,
                        {
                            "type": "directory",
                            "path": directory,
                            "oid": hashlib.sha1(directory.encode()).hexdigest(),
                            "size": 0,
                        },
                    )
                if not recursive:
                    break
            if recursive or len(relative) == 1:
                entries[path] = {
                    "type": "file",
                    "path": path,
                    "size": len(data),
                    "oid": git_blob_sha1(data),
                }
        if prefix and not entries:
            raise _HubError(404, "EntryNotFound", f"{folder} does not exist", commit.sha)
        self._json(200, list(entries.values()))

    def _preupload(self, repo: Repo, revision: str, payload: dict) -> None:
        with self.hub._lock:
            commit = repo.resolve(revision)
        existing = commit.files if commit else {}
        files = []
        for item in payload.get("files", []):
            entry = {"path": item["path"], "uploadMode": "regular", "shouldIgnore": False}
            if item["path"] in existing:
                entry["oid"] = git_blob_sha1(existing[item["path"]])
            files.append(entry)
        self._json(200, {"files": files, "commitOid": commit.sha if commit else None})

    def _commit(self, repo: Repo, revision: str, body: bytes) -> None:
        header: dict = {}
        added: dict[str, bytes] = {}
        deleted: list[str] = []
        deleted_folders: list[str] = []
        for line in body.splitlines():
            if not line.strip():
                continue
            item = json.loads(line)
            key, value = item.get("key"), item.get("value", {})
            if key == "header":
                header = value
            elif key == "file":
                if value.get("encoding", "base64") != "base64":
                    raise _HubError(400, None, f"unsupported encoding {value.get('encoding')!r}")
                added[value["path"]] = base64.b64decode(value["content"])
            elif key == "deletedFile":
                deleted.append(value["path"])
            elif key == "deletedFolder":
                deleted_folders.append(value["path"])
            elif key == "lfsFile":
                raise _HubError(400, None, "this server takes regular uploads only (no LFS)")
            else:
                raise _HubError(400, None, f"unknown commit operation {key!r}")
        if "README.md" in added and repo.repo_type == "model":
            errors = _card_errors(added["README.md"].decode("utf-8", "replace"))
            if errors:
                message = "Invalid metadata in README.md.\n- " + "\n- ".join(errors)
                raise _HubError(400, None, message)
        with self.hub._lock:
            if revision in repo.commits:
                raise _HubError(400, None, "cannot commit on top of a commit id; name a branch")
            if revision not in repo.refs:
                raise _HubError(404, "RevisionNotFound", f"Invalid rev id: {revision}")
            parent = header.get("parentCommit")
            if parent and parent != repo.refs[revision]:
                raise _HubError(412, None, f"parent commit {parent} is not the head of {revision}")
            head = repo.commits[repo.refs[revision]].files
            for path in deleted:
                if path not in head:
                    raise _HubError(404, "EntryNotFound", "A file with this name doesn't exist")
            message = header.get("summary") or "update"
            sha = self.hub._commit(repo, revision, message, added, deleted, deleted_folders)
        prefix = "" if repo.repo_type == "model" else f"{repo.repo_type}s/"
        url = f"{self.hub.url}/{prefix}{repo.repo_id}/commit/{sha}"
        self._json(
            200, {"commitUrl": url, "commitOid": sha, "success": True, "pullRequestUrl": None}
        )

    def _resolve(self, repo: Repo, revision: str, path: str) -> None:
        with self.hub._lock:
            commit = self._commit_of(repo, revision)
            if path not in commit.files:
                raise _HubError(
                    404, "EntryNotFound", f"{path} does not exist at {revision}", commit.sha
                )
            data = self.hub._served_bytes(repo, path, commit.files[path])
            cut = self.hub._cut_fraction
            if self.hub._cut_paths is not None and path not in self.hub._cut_paths:
                cut = None
        headers = {
            "X-Repo-Commit": commit.sha,
            "ETag": f'"{git_blob_sha1(data)}"',
            "Accept-Ranges": "bytes",
        }
        start, end, status = 0, len(data), 200
        ranged = self.headers.get("Range")
        if ranged and self.command == "GET" and ranged.startswith("bytes="):
            first, _, last = ranged[len("bytes=") :].partition("-")
            start = int(first or 0)
            end = int(last) + 1 if last else len(data)
            if start >= len(data):
                headers["Content-Range"] = f"bytes */{len(data)}"
                return self._send(416, b"", headers, "application/octet-stream")
            status = 206
            headers["Content-Range"] = f"bytes {start}-{end - 1}/{len(data)}"
        part = data[start:end]
        if cut is None or self.command == "HEAD":
            return self._send(status, part, headers, "application/octet-stream")
        # Cut off: promise the whole body, send part of it, hang up.
        self.send_response(status)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(part)))
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        sent = 0 if ranged else max(1, int(len(part) * cut))
        self.wfile.write(part[:sent])
        self.wfile.flush()
        self.close_connection = True
        with suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)
