"""`zoo catalogue`: a static site of every registered model that works offline.

The unit tests read the written files: one page per id, card text escaped, every local link
and image resolving inside the site, nothing loaded from the network, a folder that is not a
catalogue left alone. The browser test opens the site in headless Chromium over the DevTools
protocol (``--remote-debugging-pipe``: JSON messages on file descriptors 3 and 4, so no
WebSocket package is needed) and checks what a reader sees: every model listed, the page's
own filter hiding the others, images loaded, no console error.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
import yaml
from click.testing import CliRunner
from helpers.cards import card_metadata
from helpers.fakes import toy_plugin

from zoo_core.api import list_models
from zoo_core.catalogue import MARKER, CatalogueError, manifest, write_catalogue
from zoo_core.cli import cli

# -- reading the site ----------------------------------------------------------------------


class _Links(HTMLParser):
    """Every URL a page names (tag, attribute, value), every id, and every script tag."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[tuple[str, str, str]] = []
        self.ids: set[str] = set()
        self.scripts: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if values.get("id"):
            self.ids.add(str(values["id"]))
        if tag == "script":
            self.scripts.append(values)
        for name in ("href", "src"):
            if values.get(name) is not None:
                self.urls.append((tag, name, str(values[name])))


def parse(page: Path) -> _Links:
    links = _Links()
    links.feed(page.read_text(encoding="utf-8"))
    return links


def broken_links(site: Path) -> list[str]:
    """Links and resources in any page of ``site`` that would not work offline."""
    problems = []
    pages = sorted(site.rglob("*.html"))
    ids = {page: parse(page).ids for page in pages}
    for page in pages:
        for tag, attr, url in parse(page).urls:
            where = f"{page.relative_to(site)}: <{tag} {attr}={url!r}>"
            parts = urlsplit(url)
            if parts.scheme or parts.netloc:
                # Clicking through to a paper is fine; loading anything from elsewhere is not.
                icon = tag == "link" and parts.scheme == "data"
                if not icon and not (tag == "a" and parts.scheme in ("http", "https")):
                    problems.append(f"{where} is not a relative link")
                continue
            if parts.path.startswith("/"):
                problems.append(f"{where} is absolute")
                continue
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            if not target.is_relative_to(site.resolve()) or not target.is_file():
                problems.append(f"{where} points at a file the site lacks")
                continue
            fragment = unquote(parts.fragment)
            if fragment and "=" not in fragment and fragment not in ids.get(target, set()):
                problems.append(f"{where}: no element with id {fragment!r}")
    return problems


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The catalogue of the installed first-party plugins."""
    out = tmp_path_factory.mktemp("catalogue") / "site"
    assert write_catalogue(out) == out / "index.html"
    return out


@pytest.fixture(scope="module")
def registered() -> list[dict[str, Any]]:
    return list_models("*")


def test_one_page_per_registered_model_and_the_index_lists_each(site, registered):
    ids = [row["id"] for row in registered]
    assert len(ids) >= 2
    pages = sorted(p.stem for p in (site / "models").glob("*.html"))
    assert pages == sorted(ids)
    index = (site / "index.html").read_text(encoding="utf-8")
    for model_id in ids:
        assert f'data-id="{model_id}"' in index
        assert f'href="models/{model_id}.html"' in index


def test_every_local_link_and_image_resolves_and_nothing_loads_from_the_network(site):
    assert broken_links(site) == []
    for page in site.rglob("*.html"):
        scripts = parse(page).scripts
        assert all(s.get("src") == "catalogue.js" for s in scripts), page  # ours, local only
    assert parse(site / "index.html").scripts  # the filters' script


def test_model_pages_show_facts_metrics_weights_images_and_usage(site, registered):
    facts = manifest(site)
    assert facts["index"] == str(site / "index.html")
    assert sorted(facts["models"]) == sorted(r["id"] for r in registered)
    images = [Path(a) for a in facts["assets"] if a.endswith(".png")]
    for row in registered:
        text = (site / "models" / f"{row['id']}.html").read_text(encoding="utf-8")
        assert 'id="facts"' in text and 'id="usage"' in text, row["id"]
        usage = text.split('id="usage"', 1)[1].split("</section>", 1)[0]
        load = f"zoo.load(&quot;{row['id']}&quot;"
        if row.get("weights"):
            assert f"{load})" in usage and "--untrained" not in usage
        else:
            assert f"{load}, pretrained=False)" in usage and "--untrained" in usage
        assert f"zoo generate {row['id']}" in usage
        assert ("weights-shipped" in text) == bool(row.get("shipped"))
    shipped = [row["id"] for row in registered if row.get("shipped")]
    # Each shipped card shows its held-out montage, copied next to its page, and its metrics.
    for model_id in shipped:
        text = (site / "models" / f"{model_id}.html").read_text(encoding="utf-8")
        assert f'<img src="{model_id}/' in text
        assert any(p.parent.name == model_id for p in images)
        assert 'id="metrics"' in text


def test_the_json_result_lists_the_pages_and_the_plain_one_the_index(tmp_path, registered):
    out = tmp_path / "site"
    result = CliRunner().invoke(cli, ["catalogue", "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    written = json.loads(result.stdout)  # stdout holds the JSON alone
    assert written["index"] == str(out / "index.html")
    assert len(written["pages"]) == len(registered)
    assert all(Path(p).is_file() for p in [*written["pages"], *written["assets"]])
    assert "Writing the catalogue" in result.stderr
    again = CliRunner().invoke(cli, ["catalogue", "--out", str(out)])  # replaces the old one
    assert again.exit_code == 0, again.output
    assert again.stdout == f"{out / 'index.html'}\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]  # no staging folders left


def test_a_folder_that_is_not_a_catalogue_is_refused_and_left_alone(tmp_path):
    out = tmp_path / "thesis"
    out.mkdir()
    (out / "chapter1.tex").write_text("precious", encoding="utf-8")
    with pytest.raises(CatalogueError, match="thesis"):
        write_catalogue(out)
    result = CliRunner().invoke(cli, ["catalogue", "--out", str(out)])
    assert result.exit_code == 1
    assert str(out) in result.stderr and "not a catalogue" in result.stderr
    assert [p.name for p in out.iterdir()] == ["chapter1.tex"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["thesis"]
    # A file with the marker's name but not our content is no catalogue either.
    (out / MARKER).write_text("{}", encoding="utf-8")
    with pytest.raises(CatalogueError):
        write_catalogue(out)


def test_writing_the_catalogue_imports_no_torch(tmp_path):
    script = (
        "import sys\nfrom zoo_core.cli import cli\n"
        f"cli.main(['catalogue', '--out', {str(tmp_path / 'site')!r}], standalone_mode=False)\n"
        "print('torch' in sys.modules)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-1] == "False"


# -- hostile cards -------------------------------------------------------------------------

HOSTILE_ID = "evil-toy-xss"
FRIEND_ID = "evil-toy-friend"


@pytest.fixture
def hostile_site(plugin_site, tmp_path) -> Path:
    """A catalogue of a plugin whose card tries every way into the page's markup."""
    package = toy_plugin(plugin_site, "toy", {HOSTILE_ID: {}, FRIEND_ID: {"modality": "CT"}})
    metadata = card_metadata(HOSTILE_ID, "toy")
    metadata["license"] = "other"
    metadata["license_name"] = "<b>name</b>"
    metadata["license_link"] = "javascript:alert('license')"
    metadata["zoo"]["modality"] = 'CT" onmouseover="alert(1)'
    metadata["zoo"]["paper"]["title"] = "<script>alert('title')</script>"
    metadata["zoo"]["paper"]["url"] = "javascript:alert('paper')"
    metadata["zoo"]["intended_use"] = "<img src=x onerror=alert('use')> `code` stays"
    metadata["zoo"]["inputs"] = [
        {
            "name": "<i>in</i>",
            "channels": ["<u>c</u>"],
            "spatial_size": [16, 16],
            "value_range": [-1, 1],
            "description": "<script>alert('input')</script>",
        }
    ]
    metadata["model-index"] = [
        {
            "name": HOSTILE_ID,
            "results": [
                {
                    "task": {"type": "t", "name": "<script>alert('task')</script>"},
                    "dataset": {"type": "d", "name": "<b>held</b>", "split": "test"},
                    "metrics": [{"type": "psnr", "value": 1.5, "name": "<i>psnr</i>"}],
                }
            ],
        }
    ]
    body = f"""# <script>alert('h1')</script> title

<script>alert('body')</script> <img src=x onerror=alert('raw')>

[js](javascript:alert('link')) [friend]({FRIEND_ID}.md#usage) [secret](../../secret.txt)
[nowhere](missing.md)

![montage](heldout.png) ![remote](https://example.org/tracker.png) ![gone](missing.png)

## Results

## Usage

| a | b |
|---|---|
| <script>alert('cell')</script> | 1 |
"""
    front = yaml.safe_dump(metadata, sort_keys=False)
    cards_dir = package / "model_cards"
    (cards_dir / f"{HOSTILE_ID}.md").write_text(f"---\n{front}---\n{body}", encoding="utf-8")
    (cards_dir / "heldout.png").write_bytes(_tiny_png())
    (package.parent / "secret.txt").write_text("do not publish", encoding="utf-8")
    plugin_site.activate()
    out = tmp_path / "hostile"
    write_catalogue(out)
    return out


def _tiny_png() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("L", (4, 4), 128).save(buffer, format="PNG")
    return buffer.getvalue()


def test_card_strings_are_escaped_everywhere(hostile_site):
    page = (hostile_site / "models" / f"{HOSTILE_ID}.html").read_text(encoding="utf-8")
    index = (hostile_site / "index.html").read_text(encoding="utf-8")
    for text in (page, index):
        assert "<script>alert" not in text
        assert "<img src=x" not in text and "<b>" not in text and "<i>" not in text
        assert 'onmouseover="' not in text  # the attribute stayed inside its quotes
    assert "&lt;script&gt;alert(&#x27;title&#x27;)&lt;/script&gt;" in page  # our templates
    assert "&lt;script&gt;alert('body')&lt;/script&gt;" in page  # markdown-it
    assert "<code>code</code> stays" in page  # front-matter prose keeps its code spans
    assert 'data-modality="CT&quot; onmouseover=&quot;alert(1)"' in index
    assert parse(hostile_site / "models" / f"{HOSTILE_ID}.html").scripts == []


def test_card_links_resolve_inside_the_site_or_are_dropped(hostile_site):
    assert broken_links(hostile_site) == []
    page = (hostile_site / "models" / f"{HOSTILE_ID}.html").read_text(encoding="utf-8")
    assert f'href="{FRIEND_ID}.html#usage"' in page  # another card: its page
    assert f'<img src="{HOSTILE_ID}/heldout.png"' in page
    assert (hostile_site / "models" / HOSTILE_ID / "heldout.png").read_bytes() == _tiny_png()
    assert not list(hostile_site.rglob("secret.txt"))  # outside the card's folder: not copied
    assert "secret.txt" not in page  # its text stays, unlinked
    assert 'href="https://example.org/tracker.png"' in page  # a remote image: a link only
    assert "[image not included: gone]" in page
    # The card's own "Usage" heading does not take the id of the page's usage section.
    assert page.count('id="usage"') == 1 and '<h3 id="usage-1">Usage</h3>' in page
    assert '<a href="#results">Results</a>' in page  # the metrics section links its results


# -- a real browser ------------------------------------------------------------------------

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
START_TIMEOUT = 90.0  # two busy CPU cores can take a while to start a browser
STEP_TIMEOUT = 30.0


def chromium_binary() -> str:
    """Chromium's path; a missing browser fails the test (CI must have it), never skips."""
    for name in (os.environ.get("CHROMIUM"), *CHROMIUM_NAMES):
        found = shutil.which(name) if name else None
        if found:
            return found
    pytest.fail(
        "Chromium is not installed, and the catalogue's browser test needs it: run "
        "`apt-get install chromium` (as .ci/run does), or set CHROMIUM to a Chromium binary."
    )


class DevTools:
    """A headless Chromium driven over ``--remote-debugging-pipe``, every wait bounded."""

    def __init__(self, binary: str, profile: Path) -> None:
        commands_r, self._out = os.pipe()  # we write, Chromium reads on fd 3
        self._in, replies_w = os.pipe()  # Chromium writes on fd 4, we read
        argv = [
            binary,
            "--headless",
            "--disable-gpu",
            "--no-sandbox",  # root in CI containers
            "--remote-debugging-pipe",
            f"--user-data-dir={profile}",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-extensions",
            "--disable-background-networking",
            "--disable-sync",
            "--window-size=1280,1600",
            "about:blank",
        ]
        # bash moves the pipe ends to fds 3 and 4 (via high fds, in case they collide).
        moves = (
            f"exec 100<&{commands_r} 101>&{replies_w} {commands_r}<&- {replies_w}>&- && "
            'exec 3<&100 4>&101 100<&- 101>&- && exec "$@"'
        )
        self.proc = subprocess.Popen(
            [shutil.which("bash") or "/bin/bash", "-c", moves, "chromium", *argv],
            pass_fds=(commands_r, replies_w),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # its own process group, killed as one in close()
        )
        os.close(commands_r)
        os.close(replies_w)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []

    def _read(self, deadline: float, what: str) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"Chromium did not answer in time: {what}")
            ready, _, _ = select.select([self._in], [], [], remaining)
            if ready:
                chunk = os.read(self._in, 1 << 16)
                if not chunk:
                    raise AssertionError(f"Chromium closed the DevTools pipe: {what}")
                self._buffer += chunk
        message, _, self._buffer = self._buffer.partition(b"\0")
        return json.loads(message)

    def call(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        session: str | None = None,
        timeout: float = STEP_TIMEOUT,
    ) -> dict[str, Any]:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._out, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read(deadline, method)
            if reply.get("id") == self._next_id:
                assert "error" not in reply, f"{method}: {reply['error']}"
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method: str, session: str, since: int, timeout: float = STEP_TIMEOUT):
        deadline = time.monotonic() + timeout
        seen = since
        while True:
            for event in self.events[seen:]:
                if event.get("method") == method and event.get("sessionId") == session:
                    return event
            seen = len(self.events)
            self.events.append(self._read(deadline, f"waiting for {method}"))

    def errors(self) -> list[str]:
        found = []
        for event in self.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                found.append(f"console: {[a.get('value') for a in params.get('args', [])]}")
            elif method == "Runtime.exceptionThrown":
                found.append(f"exception: {params['exceptionDetails'].get('text')}")
            elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
                found.append(f"log: {params['entry'].get('text')} {params['entry'].get('url')}")
        return found

    def __enter__(self) -> DevTools:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Ask the browser to quit; kill its process group if it has not within 10 s."""
        try:
            if self.proc.poll() is None:
                quit_message = {"id": 0, "method": "Browser.close"}
                os.write(self._out, json.dumps(quit_message).encode() + b"\0")
                self.proc.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            pass
        finally:
            if self.proc.poll() is None:  # not yet reaped, so the group is still ours
                os.killpg(self.proc.pid, signal.SIGKILL)  # with its renderer and helpers
                self.proc.wait(timeout=10)
            os.close(self._out)
            os.close(self._in)


class Tab:
    """One page of the browser, with the Page, Runtime and Log domains enabled."""

    def __init__(self, browser: DevTools) -> None:
        self.browser = browser
        target = browser.call("Target.createTarget", {"url": "about:blank"}, timeout=START_TIMEOUT)
        attached = browser.call(
            "Target.attachToTarget", {"targetId": target["targetId"], "flatten": True}
        )
        self.session = attached["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            browser.call(f"{domain}.enable", session=self.session)

    def open(self, url: str) -> None:
        since = len(self.browser.events)
        navigated = self.browser.call("Page.navigate", {"url": url}, self.session)
        assert "errorText" not in navigated, f"{url}: {navigated['errorText']}"
        self.browser.wait_for("Page.loadEventFired", self.session, since)

    def run(self, expression: str) -> Any:
        result = self.browser.call(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
            self.session,
        )
        assert "exceptionDetails" not in result, result["exceptionDetails"]
        return result["result"].get("value")


VISIBLE_ROWS = """Array.from(document.querySelectorAll('#models tr.model'))
    .filter(r => r.getClientRects().length > 0).map(r => r.dataset.id)"""
SET_MODALITY = """(() => {
    const select = document.getElementById('filter-modality');
    select.value = 'CT';
    select.dispatchEvent(new Event('change', {bubbles: true}));
    return document.getElementById('count').textContent;
})()"""
IMAGES_LOADED = """Promise.all(Array.from(document.images).map(i => i.complete ? null :
    new Promise(done => { i.addEventListener('load', done); i.addEventListener('error', done); })))
  .then(() => Array.from(document.images).map(i => [i.getAttribute('src'), i.naturalWidth]))"""


def test_the_site_in_a_real_browser(site, registered, tmp_path):
    binary = chromium_binary()  # fails, naming the apt-get command, when it is missing
    with DevTools(binary, tmp_path / "profile") as browser:
        tab = Tab(browser)
        ids = sorted(row["id"] for row in registered)
        ct = sorted(row["id"] for row in registered if row.get("modality") == "CT")
        assert ct and len(ct) < len(ids)

        tab.open((site / "index.html").as_uri())
        assert sorted(tab.run(VISIBLE_ROWS)) == ids
        count = tab.run(SET_MODALITY)  # the page's own control and script
        assert sorted(tab.run(VISIBLE_ROWS)) == ct
        assert count == f"{len(ct)} of {len(ids)} models"
        assert "modality=CT" in tab.run("location.hash")
        tab.open("about:blank")  # else the next is a same-document navigation, with no load event
        tab.open((site / "index.html").as_uri() + "#dims=3")  # a filtered link, as pages make
        three_d = sorted(r["id"] for r in registered if r.get("dims") == 3)
        assert sorted(tab.run(VISIBLE_ROWS)) == three_d

        with_images = {Path(a).parent.name for a in manifest(site)["assets"] if a.endswith(".png")}
        assert with_images, "no card shows an image; the shipped weights' cards should"
        for model_id in ids:
            tab.open((site / "models" / f"{model_id}.html").as_uri())
            assert tab.run("document.querySelector('h1') !== null")
            images = tab.run(IMAGES_LOADED)
            assert all(width > 0 for _, width in images), (model_id, images)
            if model_id in with_images:
                assert images, model_id
        assert browser.errors() == []
