"""Text out of HTML: visible text, or the text of elements picked by CSS selectors."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lxml import etree

if TYPE_CHECKING:
    from parsel import Selector, SelectorList

_HIDDEN = frozenset({"script", "style", "noscript", "template", "head", "title", "svg"})
# Block elements end a line, so text from neighbouring cells or paragraphs is not
# glued into one token (a phone number next to a postal code).
_BLOCK_TAGS = (
    "address article aside blockquote br dd div dl dt fieldset figcaption figure footer "
    "form h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section table tbody td tfoot "
    "th thead tr ul"
)
_BLOCK = frozenset(_BLOCK_TAGS.split())


def _local(tag: Any) -> str | None:
    if not isinstance(tag, str):
        return None  # comments and processing instructions
    return etree.QName(tag).localname.lower() if tag.startswith("{") else tag.lower()


def element_text(root: Any) -> str:
    """Visible text of an lxml element: hidden elements skipped, blocks on their own lines."""
    parts: list[str] = []
    skipping = 0
    for event, el in etree.iterwalk(root, events=("start", "end")):
        name = _local(el.tag)
        hidden = name in _HIDDEN or (name is None and el is not root)
        if event == "start":
            if hidden:
                skipping += 1
            elif not skipping:
                if name in _BLOCK:
                    parts.append("\n")
                parts.append(el.text or "")
            continue
        if hidden:
            skipping -= 1
        elif not skipping and name in _BLOCK:
            parts.append("\n")
        if not skipping and el is not root:
            parts.append(el.tail or "")
    lines = (line.strip() for line in "".join(parts).splitlines())
    return "\n".join(line for line in lines if line)


def visible_text(selector: Selector) -> str:
    """The visible text of a page (the ``<body>`` if there is one)."""
    body = selector.xpath("//body")
    return element_text(body[0].root if body else selector.root)


def selected_texts(selector: Selector | SelectorList[Selector], css: str) -> list[str]:
    """The visible text of every element the CSS selectors pick, empty ones dropped."""
    texts = (element_text(el.root) for el in selector.css(css))
    return [t for t in texts if t]
