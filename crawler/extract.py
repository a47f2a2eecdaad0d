"""Text out of HTML: visible text, or the text of elements picked by CSS selectors.

libxml2 stops building the tree past a nesting depth (2048 levels with
``huge_tree``, which parsel sets): a page nested deeper loses everything below, and
a page written to hide a dump would read as empty. :func:`page_text` notices a tree
that reached that depth and reads the page with :class:`StreamingText` instead,
the standard library's tokenizer, which keeps no tree and has no depth limit.
"""

from __future__ import annotations

from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any

from lxml import etree

if TYPE_CHECKING:
    from parsel import Selector, SelectorList

_HIDDEN = frozenset({"script", "style", "noscript", "template", "head", "title", "svg"})
# Block elements end a line, so text from neighbouring cells or paragraphs is not
# glued into one token (a phone number next to a postal code).
_BLOCK_TAGS = (
    "address article aside blockquote br dd div dl dt fieldset figcaption figure footer "
    "form h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section table tbody textarea "
    "tfoot thead tr ul"
)
_BLOCK = frozenset(_BLOCK_TAGS.split())
# Regions: a blank line before and after each, so that the matcher decides the
# layout of a dump in a <pre> or <table> apart from the menu around it.
_REGION = frozenset(
    ("pre", "table", "textarea", "article", "section", "blockquote", "ul", "ol")
)
# Table cells: the cells of one row are one line, tab-separated (a row of a
# rendered table stays a row).
_CELL = frozenset({"td", "th"})
_REGION_MARK = "\ue000"  # private use, not whitespace (alone on a line it only adds a blank)


def _local(tag: Any) -> str | None:
    if not isinstance(tag, str):
        return None  # comments and processing instructions
    return etree.QName(tag).localname.lower() if tag.startswith("{") else tag.lower()


def _gutter_cell(el: Any) -> bool:
    """A line-number cell of a code table (a paste page's ``<td>12</td><td><code>…``):
    only digits, in a row whose other cells hold ``<code>`` or ``<pre>``."""
    text = "".join(el.itertext()).strip()
    if not text or not text.replace("\n", "").replace(" ", "").isdigit():
        return False
    row = el.getparent()
    return row is not None and any(
        _local(d.tag) in ("code", "pre") for c in row if c is not el for d in c.iter()
    )


def element_text(root: Any) -> str:
    """Visible text of an lxml element: hidden elements skipped, blocks on their own
    lines, the cells of a table row on one line (tab-separated, line-number cells of
    code tables left out), a blank line around each region (``<pre>``, ``<table>``,
    ``<textarea>``, lists, articles)."""
    parts: list[str] = []
    skipping = 0
    for event, el in etree.iterwalk(root, events=("start", "end")):
        name = _local(el.tag)
        hidden = (
            name in _HIDDEN
            or (name is None and el is not root)
            or (name in _CELL and el is not root and _gutter_cell(el))
        )
        if event == "start":
            if hidden:
                skipping += 1
            elif not skipping:
                if name in _REGION:
                    parts.append(f"\n{_REGION_MARK}\n")
                if name in _BLOCK:
                    parts.append("\n")
                elif name in _CELL and el is not root and el.getprevious() is not None:
                    parts.append("\t")
                parts.append(el.text or "")
            continue
        if hidden:
            skipping -= 1
        elif not skipping and name in _BLOCK:
            parts.append("\n")
            if name in _REGION:
                parts.append(f"{_REGION_MARK}\n")
        if not skipping and el is not root:
            parts.append(el.tail or "")
    out: list[str] = []
    for line in "".join(parts).splitlines():
        line = line.strip()
        if line == _REGION_MARK:
            if out and out[-1]:
                out.append("")
        elif line:
            out.append(line)
    while out and not out[-1]:
        out.pop()
    return "\n".join(out)


def visible_text(selector: Selector) -> str:
    """The visible text of a page (the ``<body>`` if there is one)."""
    body = selector.xpath("//body")
    return element_text(body[0].root if body else selector.root)


def selected_texts(selector: Selector | SelectorList[Selector], css: str) -> list[str]:
    """The visible text of every element the CSS selectors pick, empty ones dropped."""
    texts = (element_text(el.root) for el in selector.css(css))
    return [t for t in texts if t]


#: A tree this deep was (or may have been) cut by libxml2's depth limit.
DEEP_TREE = 2000


def tree_depth(root: Any, stop_at: int = DEEP_TREE) -> int:
    """The nesting depth of an lxml tree (counting stops at ``stop_at``)."""
    depth = deepest = 0
    for event, _ in etree.iterwalk(root, events=("start", "end")):
        if event == "start":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest >= stop_at:
                    return deepest
        else:
            depth -= 1
    return deepest


class StreamingText(HTMLParser):
    """Visible text by tokenizing, without a tree: no depth limit, same rules as
    :func:`element_text` (hidden elements skipped, block elements end lines)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self.hidden += 1
        elif tag in _BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in _BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)

    def text(self) -> str:
        lines = (line.strip() for line in "".join(self.parts).splitlines())
        return "\n".join(line for line in lines if line)


def streaming_text(html: str) -> str:
    """The visible text of an HTML document of any nesting depth."""
    parser = StreamingText()
    parser.feed(html)
    parser.close()
    return parser.text()


def page_text(selector: Selector, html: str, css: str | None = None, *,
              offsite: bool = False) -> tuple[str, bool]:
    """The text of a page (``css`` selections, else the visible text) and whether it
    had to be read by streaming because the tree was too deep.

    Off-site (``offsite``), selectors written for the source's own site apply only
    where they pick something; elsewhere the visible text is read."""
    if tree_depth(selector.root) >= DEEP_TREE:
        return streaming_text(html), True
    if css:
        texts = selected_texts(selector, css)
        if texts or not offsite:
            return "\n".join(texts), False
    return visible_text(selector), False
