"""Crawl sources declared in TOML (SPEC 5.1).

Sources live in ``sources.toml`` or in ``[[source]]`` tables of ``leakprint.toml``.
Every validation problem raises :class:`SourceConfigError` with a single line that
names the file, the source and the field, so an operator can fix a typo without
reading a traceback.

Keys of a ``[[source]]`` table (all but ``name``, ``kind`` and ``start_urls`` optional):

``name``            unique name; used in stats keys and items
``kind``            ``paste`` | ``forum`` | ``feed`` | ``page``
``start_urls``      listing pages, thread lists, feeds or single pages (http/https)
``follow``          regexes (RE2: linear time, no backreferences or look-around); a
                    link is followed when one matches its path or full URL
``raw``             paste only: raw-text endpoint template, ``{id}`` = last path segment
``content``         CSS selectors for the text (forum: one element per post);
                    default: the visible text of the page
``next_page``       CSS selector of the pagination link (listings and thread pages)
``render``          fetch through Chromium (scrapy-playwright)
``wait_for``        with ``render``: CSS selector to wait for before reading the DOM
``max_depth``       link hops from a start URL (pagination does not count)
``max_pages``       requests scheduled for this source at most
``allow_offsite``   regexes of full URLs on other hosts that may be fetched, as
                    single documents (a forum post linking to a paste host); an
                    HTML page there is read through content extraction
``offsite_raw``     optional table: regex of off-site URLs -> raw-text path template
                    (``{id}`` = last path segment), e.g.
                    ``{ '^https?://paste\\.example/' = '/raw/{id}' }``
``obey_robots``     false: skip robots.txt for this source only
``download_delay``  seconds between requests to this source's hosts
``concurrency``     parallel requests to this source's hosts
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast
from urllib.parse import urlsplit

from parsel.csstranslator import HTMLTranslator

from crawler.patterns import Pattern, PatternError, compile_pattern

Kind = Literal["paste", "forum", "feed", "page"]
KINDS: tuple[Kind, ...] = ("paste", "forum", "feed", "page")

_css = HTMLTranslator()


class SourceConfigError(ValueError):
    """A sources file is malformed; the message is one line naming file, source, field."""


@dataclass(frozen=True)
class Source:
    """One crawl source, validated. Regex fields hold compiled patterns."""

    name: str
    kind: Kind
    start_urls: tuple[str, ...]
    follow: tuple[Pattern, ...] = ()
    raw: str | None = None
    content: str | None = None
    next_page: str | None = None
    render: bool = False
    wait_for: str | None = None
    max_depth: int = 2
    max_pages: int = 1000
    allow_offsite: tuple[Pattern, ...] = ()
    offsite_raw: tuple[tuple[Pattern, str], ...] = ()
    obey_robots: bool = True
    download_delay: float | None = None
    concurrency: int | None = None

    def follows(self, url: str) -> bool:
        """True when a ``follow`` regex matches the URL's path (with query) or full URL."""
        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        return any(p.search(path) or p.search(url) for p in self.follow)

    def offsite_allowed(self, url: str) -> bool:
        """True when an ``allow_offsite`` regex matches the full URL."""
        return any(p.search(url) for p in self.allow_offsite)

    def raw_url(self, item_url: str) -> str:
        """The raw-text URL of an item page (``raw`` with ``{id}`` = last path segment)."""
        assert self.raw is not None
        return _with_template(item_url, self.raw)

    def offsite_raw_url(self, url: str) -> str | None:
        """The raw-text URL of an off-site page by the first ``offsite_raw`` pattern
        that matches it (``None``: fetch the page itself)."""
        for pattern, template in self.offsite_raw:
            if pattern.search(url):
                return _with_template(url, template)
        return None


def _with_template(url: str, template: str) -> str:
    parts = urlsplit(url)
    item_id = parts.path.rstrip("/").rsplit("/", 1)[-1]
    return f"{parts.scheme}://{parts.netloc}{template.replace('{id}', item_id)}"


_FIELDS = frozenset(Source.__dataclass_fields__)


class _Checker:
    """Reads one ``[[source]]`` table, raising errors that carry its location."""

    def __init__(self, origin: str, label: str, table: dict[str, Any]) -> None:
        self.origin = origin
        self.label = label
        self.table = table

    def fail(self, field: str, problem: str) -> SourceConfigError:
        return SourceConfigError(f"{self.origin}: source {self.label}: {field}: {problem}")

    def text(self, field: str, *, required: bool = False) -> str | None:
        value = self.table.get(field)
        if value is None:
            if required:
                raise self.fail(field, "missing")
            return None
        if not isinstance(value, str) or not value.strip():
            raise self.fail(field, "must be a non-empty string")
        return value

    def flag(self, field: str, default: bool) -> bool:
        value = self.table.get(field, default)
        if not isinstance(value, bool):
            raise self.fail(field, "must be true or false")
        return value

    def count(self, field: str, default: int | None) -> int | None:
        value = self.table.get(field, default)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise self.fail(field, "must be a non-negative integer")
        return value

    def seconds(self, field: str) -> float | None:
        value = self.table.get(field)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise self.fail(field, "must be a non-negative number")
        return float(value)

    def strings(self, field: str) -> list[str]:
        value = self.table.get(field, [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(field, "must be a list of strings")
        return cast(list[str], value)

    def regexes(self, field: str) -> tuple[Pattern, ...]:
        compiled = []
        for i, pattern in enumerate(self.strings(field)):
            try:
                compiled.append(compile_pattern(pattern))
            except PatternError as e:
                raise self.fail(f"{field}[{i}]", f"invalid regex: {e}") from None
        return tuple(compiled)

    def raw_templates(self, field: str) -> tuple[tuple[Pattern, str], ...]:
        value = self.table.get(field, {})
        if not isinstance(value, dict):
            raise self.fail(field, "must be a table of regex = raw path template")
        out = []
        for pattern, template in value.items():
            if not isinstance(template, str) or not template.startswith("/"):
                raise self.fail(f"{field}[{pattern!r}]", "must be an absolute path")
            if "{id}" not in template:
                raise self.fail(f"{field}[{pattern!r}]", "must contain {id}")
            try:
                out.append((compile_pattern(pattern), template))
            except PatternError as e:
                raise self.fail(f"{field}[{pattern!r}]", f"invalid regex: {e}") from None
        return tuple(out)

    def urls(self, field: str) -> tuple[str, ...]:
        urls = self.strings(field)
        if not urls:
            raise self.fail(field, "needs at least one URL")
        for i, url in enumerate(urls):
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise self.fail(f"{field}[{i}]", f"not an http(s) URL: {url!r}")
        return tuple(urls)

    def selector(self, field: str) -> str | None:
        value = self.text(field)
        if value is not None:
            try:
                _css.css_to_xpath(value)
            except Exception as e:  # cssselect raises several unrelated error types
                raise self.fail(field, f"invalid CSS selector: {e}") from None
        return value


def _parse_one(origin: str, index: int, table: Any) -> Source:
    if not isinstance(table, dict):
        raise SourceConfigError(f"{origin}: source #{index}: must be a table")
    name = table.get("name")
    label = repr(name) if isinstance(name, str) and name else f"#{index}"
    c = _Checker(origin, label, table)
    for key in table:
        if key not in _FIELDS:
            raise c.fail(key, "unknown key")
    name = c.text("name", required=True)
    assert name is not None
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", name):
        raise c.fail("name", "use letters, digits, '.', '_' and '-' only")
    kind = c.text("kind", required=True)
    if kind not in KINDS:
        raise c.fail("kind", f"must be one of {', '.join(KINDS)}, not {kind!r}")
    raw = c.text("raw")
    if raw is not None and (kind != "paste" or not raw.startswith("/") or "{id}" not in raw):
        raise c.fail("raw", "only for kind 'paste', an absolute path containing {id}")
    render = c.flag("render", False)
    wait_for = c.selector("wait_for")
    if wait_for is not None and not render:
        raise c.fail("wait_for", "needs render = true")
    max_pages = c.count("max_pages", 1000)
    concurrency = c.count("concurrency", None)
    if max_pages == 0 or concurrency == 0:
        raise c.fail("max_pages" if max_pages == 0 else "concurrency", "must be at least 1")
    return Source(
        name=name,
        kind=kind,
        start_urls=c.urls("start_urls"),
        follow=c.regexes("follow"),
        raw=raw,
        content=c.selector("content"),
        next_page=c.selector("next_page"),
        render=render,
        wait_for=wait_for,
        max_depth=cast(int, c.count("max_depth", 2)),
        max_pages=cast(int, max_pages),
        allow_offsite=c.regexes("allow_offsite"),
        offsite_raw=c.raw_templates("offsite_raw"),
        obey_robots=c.flag("obey_robots", True),
        download_delay=c.seconds("download_delay"),
        concurrency=concurrency,
    )


def parse_sources(data: dict[str, Any], origin: str) -> list[Source]:
    """Validate the ``source`` array of a parsed TOML document.

    ``origin`` names the file in error messages. Other top-level tables (as in
    ``leakprint.toml``) are ignored.
    """
    tables = data.get("source", [])
    if not isinstance(tables, list):
        raise SourceConfigError(f"{origin}: 'source' must be an array of tables ([[source]])")
    sources: list[Source] = []
    seen: set[str] = set()
    for index, table in enumerate(tables):
        source = _parse_one(origin, index, table)
        if source.name in seen:
            raise SourceConfigError(
                f"{origin}: source {source.name!r}: name: duplicate source name"
            )
        seen.add(source.name)
        sources.append(source)
    return sources


def load_sources(path: str | Path) -> list[Source]:
    """Read and validate the sources of a ``sources.toml`` or ``leakprint.toml`` file."""
    path = Path(path)
    try:
        with path.open("rb") as f:
            data = tomllib.load(f)
    except OSError as e:
        raise SourceConfigError(f"{path}: cannot read: {e.strerror}") from None
    except tomllib.TOMLDecodeError as e:
        raise SourceConfigError(f"{path}: invalid TOML: {e}") from None
    return parse_sources(data, str(path))
