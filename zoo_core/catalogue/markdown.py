"""A card's Markdown body as HTML for the catalogue site.

markdown-it-py (which rich, a core dependency, already installs) parses CommonMark plus GFM
tables with raw HTML switched off, so a card's ``<script>`` is text, not markup, and it drops
``javascript:`` links itself. What it cannot know is where the card lives: a card links the
picture beside it (``heldout.png``) and other cards (``sanchez-srgan3d.md``) relative to its
own folder, which is not where the site's page is. Every relative link and image therefore
goes through a resolver that returns the URL it has inside the site, or None to drop it
(keeping its text), so no page links a file the site lacks. Images on other hosts become
plain links: the site must load nothing from the network.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from markdown_it import MarkdownIt
from markdown_it.token import Token

#: ``(url as the card wrote it, is_image) -> URL inside the site, or None to drop it``.
Resolver = Callable[[str, bool], "str | None"]


@dataclass
class Rendered:
    """A card body as HTML, its leading level-1 heading taken out as the page's title."""

    html: str
    title: str | None
    #: (level, plain text, id) of every heading left in ``html``, in order; each level is one
    #: below the card's own (its ``##`` sections are ``<h3>``, under the page's ``<h2>``).
    headings: list[tuple[int, str, str]] = field(default_factory=list)


def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])


def plain_text(inline: Token) -> str:
    """The text of an inline token without its Markdown (``code``, *emphasis*, links)."""
    parts = [c.content for c in inline.children or [] if c.type in ("text", "code_inline")]
    return "".join(parts) if parts else inline.content


def slug(text: str, taken: set[str]) -> str:
    """A heading's id as GitHub and the Hub make it (lower case, words joined by ``-``),
    numbered when it repeats, so ``#held-out-results`` links keep working on the site."""
    base = re.sub(r"[^\w\- ]", "", text.lower()).strip().replace(" ", "-") or "section"
    candidate, n = base, 0
    while candidate in taken:
        n += 1
        candidate = f"{base}-{n}"
    taken.add(candidate)
    return candidate


def _is_external(url: str) -> bool:
    parts = urlsplit(url)
    return bool(parts.scheme or parts.netloc)


def _link(href: str, text: str) -> list[Token]:
    opening = Token("link_open", "a", 1, attrs={"href": href})
    return [opening, Token("text", "", 0, content=text), Token("link_close", "a", -1)]


def _rewrite(children: list[Token], resolve: Resolver) -> list[Token]:
    """The inline tokens with every relative link and image resolved, dropped or demoted."""
    out: list[Token] = []
    dropping = False  # inside a link whose target the site lacks: keep its text only
    for token in children:
        if token.type == "link_open":
            href = str(token.attrGet("href") or "")
            if href.startswith("#") or _is_external(href):
                out.append(token)
                continue
            target = resolve(href, False)
            if target is None:
                dropping = True
                continue
            token.attrSet("href", target)
        elif token.type == "link_close" and dropping:
            dropping = False
            continue
        elif token.type == "image":
            src = str(token.attrGet("src") or "")
            alt = token.content or src
            if urlsplit(src).scheme == "data":  # inline pixels: no file, no network
                pass
            elif _is_external(src):
                out.extend(_link(src, f"{alt} (image on {urlsplit(src).netloc or 'the web'})"))
                continue
            else:
                target = resolve(src, True)
                if target is None:
                    note = Token("text", "", 0, content=f"[image not included: {alt}]")
                    out += [Token("em_open", "em", 1), note, Token("em_close", "em", -1)]
                    continue
                token.attrSet("src", target)
        out.append(token)
    return out


def render_inline(text: str) -> str:
    """One line of front-matter prose (intended use, limitations) as HTML: code spans and
    emphasis render, everything else is escaped text (no links, no images, no markup)."""
    md = MarkdownIt("zero").enable(["backticks", "emphasis", "escape"])
    return md.renderInline(text)


def render(body: str, resolve: Resolver, reserved: Iterable[str] = ()) -> Rendered:
    """Render a card's Markdown body; ``resolve`` maps each relative link and image, and
    headings get ids other than the ``reserved`` ones (the page's own sections)."""
    md = _parser()
    tokens = md.parse(body)
    title = None
    if len(tokens) >= 3 and tokens[0].type == "heading_open" and tokens[0].tag == "h1":
        title = plain_text(tokens[1]).strip() or None
        tokens = tokens[3:]
    taken = set(reserved)
    headings = []
    for i, token in enumerate(tokens):
        if token.type in ("heading_open", "heading_close"):
            # One level down: the card's sections sit under the page's "Model card" heading.
            token.tag = f"h{min(int(token.tag[1]) + 1, 6)}"
        if token.type == "heading_open":
            text = plain_text(tokens[i + 1]).strip()
            anchor = slug(text, taken)
            token.attrSet("id", anchor)
            headings.append((int(token.tag[1]), text, anchor))
        elif token.type == "inline" and token.children:
            token.children = _rewrite(token.children, resolve)
    html = md.renderer.render(tokens, md.options, {})
    return Rendered(html, title, headings)
