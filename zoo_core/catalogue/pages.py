"""The HTML of the catalogue's pages: the index with its filters and one page per model.

Everything here is generic: a page is built from a model's ``zoo list`` row and its card
(front matter and rendered body), never from knowledge of an architecture. Every string that
comes from a card goes through :func:`e` (or markdown-it's own escaping), and every URL from
a card's front matter through :func:`web_link`, so a card can put text on a page but never
markup or script.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, urlsplit

from zoo_core.catalogue.markdown import Rendered, render_inline

STYLESHEET = "style.css"
SCRIPT = "catalogue.js"
#: The ids of a model page's own sections, which the card's headings must not take.
SECTION_IDS = ("facts", "metrics", "usage", "use", "card")
#: An empty favicon inline, so no browser asks a static server for /favicon.ico (a 404).
_NO_FAVICON = '<link rel="icon" href="data:,">'


def e(value: Any) -> str:
    """``value`` as HTML text or attribute value (quotes escaped too)."""
    return html.escape("" if value is None else str(value), quote=True)


def web_link(url: Any, text: Any) -> str:
    """A link to an http(s) page a card names, or the text alone for any other scheme."""
    if isinstance(url, str) and urlsplit(url).scheme in ("http", "https"):
        return f'<a href="{e(url)}">{e(text)}</a>'
    return e(text)


def page_url(model_id: str) -> str:
    """A model page's URL relative to the index (ids are lower-case words and hyphens)."""
    return f"models/{quote(model_id)}.html"


def _document(title: str, root: str, body: str, scripts: Iterable[str] = ()) -> str:
    tags = "".join(f'\n<script src="{root}{e(s)}" defer></script>' for s in scripts)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(title)}</title>
{_NO_FAVICON}
<link rel="stylesheet" href="{root}{STYLESHEET}">{tags}
</head>
<body>
{body}
</body>
</html>
"""


def weights_label(row: dict[str, Any]) -> str:
    """``shipped``, ``published`` or ``none``, as ``zoo list`` says it."""
    if row.get("shipped"):
        return "shipped"
    return "published" if row.get("weights") else "none"


# -- the index -------------------------------------------------------------------------------


def _select(name: str, label: str, values: Iterable[Any]) -> str:
    options = "".join(f'<option value="{e(v)}">{e(v)}</option>' for v in values)
    return (
        f'<label>{e(label)} <select name="{name}" id="filter-{name}">'
        f'<option value="">all</option>{options}</select></label>'
    )


def _facet_values(rows: list[dict[str, Any]], key: str) -> list[str]:
    return sorted({str(r[key]) for r in rows if r.get(key) not in (None, "", "?")})


def index_page(rows: list[dict[str, Any]], version: str) -> str:
    """The list of every model, with filters that the local script applies in the page."""
    lines = []
    for row in rows:
        weights = weights_label(row)
        search = " ".join(
            str(row.get(k, "")) for k in ("id", "architecture", "paper", "modality", "task")
        ).lower()
        data = {
            "id": row["id"],
            "modality": row.get("modality", ""),
            "task": row.get("task", ""),
            "dims": row.get("dims", ""),
            "weights": weights,
            "search": search,
        }
        attrs = " ".join(f'data-{k}="{e(v)}"' for k, v in data.items())
        error = (
            f' <span class="error">card error: {e(row["error"])}</span>' if "error" in row else ""
        )
        lines.append(
            f'<tr class="model" {attrs}>'
            f'<td><a href="{page_url(row["id"])}"><code>{e(row["id"])}</code></a>{error}</td>'
            f"<td>{e(row.get('paper', ''))}</td><td>{e(row.get('modality', ''))}</td>"
            f"<td>{e(row.get('task', ''))}</td><td>{e(row.get('dims') or '')}D</td>"
            f"<td>{e(row.get('resolution', ''))}</td>"
            f'<td><span class="weights weights-{weights}">{weights}</span></td></tr>'
        )
    filters = "\n".join(
        [
            '<label>Search <input type="search" name="q" id="filter-q" '
            'placeholder="id, paper, architecture"></label>',
            _select("modality", "Modality", _facet_values(rows, "modality")),
            _select("task", "Task", _facet_values(rows, "task")),
            _select("dims", "Dims", _facet_values(rows, "dims")),
            '<label class="check"><input type="checkbox" name="trained" id="filter-trained"> '
            "trained weights only</label>",
            '<button type="reset">Clear</button>',
        ]
    )
    body = f"""<header class="site"><span><a href="index.html">zoo</a> model catalogue</span>
</header>
<main>
<h1>GANs for medical image synthesis</h1>
<p class="lead">Every model registered in this installation of the zoo ({len(rows)} ids):
the paper it follows, what it generates and whether trained weights come with it. Each id
links to its model card.</p>
<form id="filters" class="filters" role="search">
{filters}
</form>
<p id="count" class="count" aria-live="polite">{len(rows)} models</p>
<div class="scroll">
<table id="models" class="models">
<thead><tr><th>id</th><th>paper</th><th>modality</th><th>task</th><th>dims</th>
<th>resolution</th><th>weights</th></tr></thead>
<tbody>
{chr(10).join(lines)}
<tr id="no-match" hidden><td colspan="7">No model matches these filters.</td></tr>
</tbody>
</table>
</div>
</main>
<footer>Written by <code>zoo catalogue</code> (zoo-core {e(version)}).</footer>"""
    return _document("zoo model catalogue", "", body, scripts=[SCRIPT])


# -- a model page ----------------------------------------------------------------------------


def _tensor_line(spec: dict[str, Any]) -> str:
    channels = ", ".join(str(c) for c in spec.get("channels") or [])
    size = "x".join(str(s) for s in spec.get("spatial_size") or [])
    low_high = spec.get("value_range") or []
    parts = [
        f"<code>{e(spec.get('name'))}</code>",
        e(spec.get("layout", "")),
        f"channels: {e(channels)}" if channels else "",
        e(size),
        f"values in [{e(', '.join(str(v) for v in low_high))}]" if low_high else "",
    ]
    line = ", ".join(p for p in parts if p)
    if spec.get("description"):
        line += f'<br><span class="note">{render_inline(str(spec["description"]))}</span>'
    return line


def _license(metadata: dict[str, Any]) -> str:
    licence = e(metadata.get("license", "?"))
    name, link = metadata.get("license_name"), metadata.get("license_link")
    if name or link:
        licence += f" ({web_link(link, name or link)})"
    return licence


def weights_text(row: dict[str, Any], zoo: dict[str, Any]) -> str:
    """Whether trained weights come with the model, as ``zoo list --pretrained`` knows it:
    shipped inside the plugin package, published on a hub, or none yet."""
    weights = _mapping(zoo.get("weights"))
    repo = e(weights.get("repo_id", "?"))
    if row.get("shipped"):
        plugin = f" of plugin <code>{e(row.get('plugin'))}</code>" if row.get("plugin") else ""
        return (
            f'<span class="weights weights-shipped">shipped</span> Trained weights install with '
            f"the package{plugin} and load offline, checked by sha256 (Hub repo "
            f"<code>{repo}</code>)."
        )
    if row.get("weights"):
        revision = e(weights.get("revision") or "main")
        return (
            f'<span class="weights weights-published">published</span> Trained weights at '
            f"<code>{repo}</code>@{revision}; <code>zoo.load</code> downloads them and checks "
            "their sha256."
        )
    return (
        "No trained weights yet: "
        "<code>pretrained=False</code> builds the untrained architecture; the card says how to "
        "train and publish them."
    )


def _table(items: list[tuple[str, str]]) -> str:
    rows_html = "\n".join(f"<tr><th>{e(k)}</th><td>{v}</td></tr>" for k, v in items)
    return f'<table class="facts">\n{rows_html}\n</table>'


def _facts(row: dict[str, Any], metadata: dict[str, Any], zoo: dict[str, Any]) -> str:
    """Paper, facets, license, weights and tensors: what decides whether a model fits."""
    paper = _mapping(zoo.get("paper"))
    title = paper.get("title") or row.get("paper") or "?"
    paper_html = web_link(paper.get("url"), title)
    if paper.get("authors") or paper.get("year"):
        paper_html += f" &middot; {e(paper.get('authors', ''))} ({e(paper.get('year', ''))})"
    # Each facet links back to the index filtered by it (the script reads the fragment).
    facets = {"modality": "", "task": "", "dims": "D"}
    facet_links = {
        key: f'<a href="../index.html#{key}={quote(str(row[key]))}">{e(row[key])}{unit}</a>'
        for key, unit in facets.items()
        if row.get(key) not in (None, "", "?")
    }
    resolution = e(row.get("resolution", "?"))
    items = [
        ("Paper", paper_html),
        ("Architecture", f"<code>{e(row.get('architecture', '?'))}</code>"),
        ("Modality", facet_links.get("modality", "?")),
        ("Task", facet_links.get("task", "?")),
        ("Dims / resolution", f"{facet_links.get('dims', '?')} &middot; {resolution}"),
        ("License", _license(metadata)),
        ("Trained weights", weights_text(row, zoo)),
    ]
    for key, label in (("inputs", "Inputs"), ("outputs", "Outputs")):
        specs = zoo.get(key)
        if specs and isinstance(specs, list):
            items.append((label, "<br>".join(_tensor_line(_mapping(s)) for s in specs)))
    return _table(items)


def _use(zoo: dict[str, Any]) -> str:
    """Intended use, limitations, training data and citation: the card's front-matter prose."""
    data, paper = _mapping(zoo.get("training_data")), _mapping(zoo.get("paper"))
    fields = [
        ("Intended use", zoo.get("intended_use")),
        ("Limitations", zoo.get("limitations")),
        ("Training data", data.get("description")),
        ("Data license", data.get("license")),
        ("Cite", paper.get("citation")),
    ]
    items = [(label, render_inline(str(text))) for label, text in fields if text]
    if not items:
        return ""
    return f'<section id="use"><h2>Intended use and limitations</h2>\n{_table(items)}\n</section>'


def _mapping(value: Any) -> dict[str, Any]:
    """``value`` if it is a mapping, else an empty one: front matter is read unchecked."""
    return value if isinstance(value, dict) else {}


def _words(text: str) -> str:
    return " ".join(text.lower().replace("-", " ").replace("_", " ").split())


def _metric_value(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else e(value)


def metrics_section(metadata: dict[str, Any], rendered: Rendered) -> str:
    """The card's ``model-index`` as tables, else a link to its results section, else ''."""
    index = metadata.get("model-index")
    blocks = []
    for entry in index if isinstance(index, list) else []:
        for result in map(_mapping, _mapping(entry).get("results") or []):
            task, dataset = _mapping(result.get("task")), _mapping(result.get("dataset"))
            name = str(dataset.get("name") or dataset.get("type") or "?")
            split = str(dataset.get("split") or "")
            said = split and _words(split) in _words(name)  # "superior slab (held out)"
            caption = e(name) + (f" ({e(split)})" if split and not said else "")
            task_name = task.get("name") or task.get("type")
            if task_name:
                caption += f' <span class="note">&middot; {e(task_name)}</span>'
            metric_rows = "".join(
                f"<tr><td>{e(m.get('name') or m.get('type'))}</td>"
                f'<td class="num">{_metric_value(m.get("value"))}</td></tr>'
                for m in result.get("metrics") or []
                if isinstance(m, dict)
            )
            blocks.append(
                f'<table class="metrics"><caption>{caption}</caption>'
                f"<thead><tr><th>metric</th><th>value</th></tr></thead>"
                f"<tbody>{metric_rows}</tbody></table>"
            )
    sections = ", ".join(
        f'<a href="#{e(anchor)}">{e(text)}</a>'
        for _level, text, anchor in rendered.headings
        if any(word in text.lower() for word in ("result", "metric", "evaluat"))
    )
    where = f"the card's {sections}" if sections else "the card's text below"
    if blocks:
        intro = (
            "<p>From the card's <code>model-index</code> (the evaluation results the Hugging "
            f"Face Hub shows); {where} sets them beside the baselines.</p>"
        )
        return f'<section id="metrics"><h2>Held-out metrics</h2>{intro}{"".join(blocks)}</section>'
    if sections:  # a results table in the card's text only
        return (
            f'<section id="metrics"><h2>Held-out metrics</h2><p>The card reports its results '
            f"in {sections}.</p></section>"
        )
    return ""


def usage_snippet(model_id: str, row: dict[str, Any], zoo: dict[str, Any]) -> str:
    """Python and command-line lines that load the model and generate with it.

    Without weights (none shipped or published) both use the untrained architecture, which is
    what works today. Conditional models get their first input as the condition, spelled as
    the card declares it.
    """
    trained = bool(row.get("weights"))
    load_args = f'"{model_id}"' if trained else f'"{model_id}", pretrained=False'
    load_note = "  # the trained weights" if trained else "  # no trained weights yet"
    declared = zoo.get("inputs")
    inputs = [_mapping(i) for i in declared] if isinstance(declared, list) else []
    cli = f"zoo generate {model_id}"
    if not inputs:
        call = "images = model.generate(n=4, seed=0)"
        cli += " -n 4"
    else:
        first = inputs[0]
        layout = str(first.get("layout") or "")
        shape = "x".join(str(s) for s in first.get("spatial_size") or [])
        channels = ", ".join(str(c) for c in first.get("channels") or [])
        what = ", ".join(p for p in (layout, channels, shape) if p)
        call = f"images = model.generate(condition=x, seed=0)  # x: {first.get('name')} ({what})"
        if layout == "N":  # one label per sample: the command line takes it by --class
            cli += " --class 0 -n 4"
        else:
            suffix = ".nii.gz" if zoo.get("dims") == 3 else ".png"
            cli += f" --condition {first.get('name') or 'input'}{suffix}"
    cli += " --out samples/" + ("" if trained else " --untrained")
    python = f"import zoo_core as zoo\n\nmodel = zoo.load({load_args}){load_note}\n{call}"
    return (
        '<section id="usage"><h2>Load and generate</h2>'
        f'<pre><code class="language-python">{e(python)}</code></pre>'
        f'<pre><code class="language-bash">{e(cli)}</code></pre></section>'
    )


def model_page(
    row: dict[str, Any],
    metadata: dict[str, Any],
    rendered: Rendered | None,
    version: str,
) -> str:
    """One model's page: title, key facts, metrics, usage, then the card itself."""
    model_id = row["id"]
    zoo = _mapping(metadata.get("zoo"))
    if rendered is None:  # the card could not be read: say so, as `zoo list` does
        main = (
            f'<h1><code>{e(model_id)}</code></h1><p class="error">The model card could not be '
            f"read: {e(row.get('error', '?'))}</p>"
        )
    else:
        title = rendered.title or model_id
        subtitle = f'<p class="id"><code>{e(model_id)}</code></p>' if title != model_id else ""
        main = f"""<h1>{e(title)}</h1>
{subtitle}
<section id="facts"><h2>Key facts</h2>
{_facts(row, metadata, zoo)}
</section>
{metrics_section(metadata, rendered)}
{usage_snippet(model_id, row, zoo)}
{_use(zoo)}
<section id="card" class="card"><h2>Model card</h2>
{rendered.html}
</section>"""
    body = f"""<header class="site"><span><a href="../index.html">zoo</a> model catalogue</span>
<nav><a href="../index.html">&larr; all models</a></nav></header>
<main>
{main}
</main>
<footer>Written by <code>zoo catalogue</code> (zoo-core {e(version)}) from the card of
<code>{e(model_id)}</code>.</footer>"""
    return _document(f"{model_id} - zoo model catalogue", "../", body)
