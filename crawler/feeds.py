"""RSS 2.0 and Atom entries, parsed without entity expansion or network access.

defusedxml (a Scrapy dependency) refuses entity declarations, so an XXE or
"billion laughs" feed is rejected instead of expanded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring
from parsel import Selector

from crawler.extract import visible_text

if TYPE_CHECKING:
    from xml.etree.ElementTree import Element

ATOM = "{http://www.w3.org/2005/Atom}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"


class FeedError(ValueError):
    """The body is not a well-formed, entity-free RSS or Atom document."""


@dataclass(frozen=True)
class FeedEntry:
    """One entry: its link (if any), a stable id (if any) and its own text."""

    link: str | None
    entry_id: str | None
    text: str


def _html_text(fragment: str) -> str:
    # Descriptions are usually escaped HTML; plain text passes through unchanged.
    if "<" not in fragment:
        return fragment.strip()
    return visible_text(Selector(text=f"<html><body>{fragment}</body></html>"))


def _child_text(el: Element, *tags: str) -> str:
    for tag in tags:
        child = el.find(tag)
        if child is not None and (child.text or "").strip():
            return child.text or ""
    return ""


def _rss_entry(item: Element) -> FeedEntry:
    link = _child_text(item, "link").strip() or None
    guid = _child_text(item, "guid").strip() or None
    body = _html_text(_child_text(item, CONTENT, "description"))
    title = _child_text(item, "title").strip()
    return FeedEntry(link, guid, "\n".join(t for t in (title, body) if t))


def _atom_link(entry: Element) -> str | None:
    for link in entry.findall(f"{ATOM}link"):
        if link.get("rel", "alternate") == "alternate" and link.get("href"):
            return link.get("href")
    return None


def _atom_entry(entry: Element) -> FeedEntry:
    entry_id = _child_text(entry, f"{ATOM}id").strip() or None
    body = _html_text(_child_text(entry, f"{ATOM}content", f"{ATOM}summary"))
    title = _child_text(entry, f"{ATOM}title").strip()
    return FeedEntry(_atom_link(entry), entry_id, "\n".join(t for t in (title, body) if t))


def parse_feed(body: bytes) -> list[FeedEntry]:
    """The entries of an RSS 2.0 or Atom document; :class:`FeedError` otherwise."""
    try:
        root = fromstring(body, forbid_dtd=True)
    except (ParseError, DefusedXmlException) as e:
        raise FeedError(f"not a safe, well-formed feed: {type(e).__name__}: {e}") from None
    if root.tag == f"{ATOM}feed":
        return [_atom_entry(e) for e in root.findall(f"{ATOM}entry")]
    if root.tag == "rss":
        return [_rss_entry(i) for i in root.iterfind("channel/item")]
    if root.tag.endswith("RDF"):  # RSS 1.0 items sit beside the channel
        return [_rss_entry(i) for i in root.iter() if i.tag.endswith("}item")]
    raise FeedError(f"not a feed: root element {root.tag!r}")
