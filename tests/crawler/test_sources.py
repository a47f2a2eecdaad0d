"""sources.toml: valid files load; each mistake gives one line naming file, source and field."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from crawler.sources import Source, SourceConfigError, load_sources, parse_sources

GOOD = """
[[source]]
name = "example-paste"
kind = "paste"
start_urls = ["https://paste.example/archive"]
follow = ['^/[A-Za-z0-9]{8}$']
raw = '/raw/{id}'
content = "pre, .post-body"
next_page = "a[rel=next]"
render = true
wait_for = ".post-body"
max_depth = 3
max_pages = 50
allow_offsite = ['^https?://dump\\.example/']
obey_robots = false
download_delay = 0.5
concurrency = 2
"""

BASE = 'name = "s"\nkind = "page"\nstart_urls = ["https://a.example/"]\n'


def _one(extra: str) -> dict[str, object]:
    return tomllib.loads(f"[[source]]\n{BASE}{extra}")


def test_full_source_loads(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    path.write_text(GOOD)
    [s] = load_sources(path)
    assert s.name == "example-paste"
    assert s.kind == "paste"
    assert s.start_urls == ("https://paste.example/archive",)
    assert s.follows("https://paste.example/AbCd1234")
    assert not s.follows("https://paste.example/archive")
    assert s.raw_url("https://paste.example/AbCd1234") == "https://paste.example/raw/AbCd1234"
    assert s.offsite_allowed("https://dump.example/x")
    assert not s.offsite_allowed("https://other.example/x")
    assert (s.render, s.wait_for, s.max_depth, s.max_pages) == (True, ".post-body", 3, 50)
    assert (s.obey_robots, s.download_delay, s.concurrency) == (False, 0.5, 2)


def test_defaults() -> None:
    [s] = parse_sources(_one(""), "sources.toml")
    assert s == Source(name="s", kind="page", start_urls=("https://a.example/",))
    assert (s.max_depth, s.max_pages, s.obey_robots, s.render) == (2, 1000, True, False)


def test_sources_inside_leakprint_toml(tmp_path: Path) -> None:
    path = tmp_path / "leakprint.toml"
    path.write_text('[database]\nurl = "sqlite:///x.db"\n\n' + GOOD)
    assert [s.name for s in load_sources(path)] == ["example-paste"]


def test_follow_matches_path_with_query_or_full_url() -> None:
    extra = r"follow = ['^/thread/\d+\?page=', 'https://b\.example/']"
    [s] = parse_sources(_one(extra), "f")
    assert s.follows("https://a.example/thread/3?page=2")
    assert s.follows("https://b.example/anything")
    assert not s.follows("https://a.example/thread/3")


PREFIX = "sources.toml: source 's': "


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (
            BASE + "follow = ['^/ok$', '[a-z']",
            # RE2's wording (patterns are compiled with RE2: no backtracking).
            "follow[1]: invalid regex: missing ]: [a-z",
        ),
        (BASE + "folow = ['x']", "folow: unknown key"),
        (
            BASE.replace('"page"', '"blog"'),
            "kind: must be one of paste, forum, feed, page, not 'blog'",
        ),
        (BASE + 'render = false\nwait_for = ".x"', "wait_for: needs render = true"),
        (
            BASE + "allow_offsite = ['(']",
            "allow_offsite[0]: invalid regex: missing ): (",
        ),
        (BASE + 'content = "div[["', "content: invalid CSS selector: "),
        (BASE + r"follow = ['(a)\1']", "follow[0]: invalid regex: invalid escape sequence"),
        (BASE + "follow = ['x(?=y)']", "follow[0]: invalid regex: invalid perl operator"),
        (BASE + 'raw = "/raw/{id}"', "raw: only for kind 'paste', "),
        (BASE + "max_pages = 0", "max_pages: must be at least 1"),
        (BASE + 'max_depth = "2"', "max_depth: must be a non-negative integer"),
        (BASE + "obey_robots = 1", "obey_robots: must be true or false"),
    ],
)
def test_one_line_errors(table: str, message: str) -> None:
    with pytest.raises(SourceConfigError) as e:
        parse_sources(tomllib.loads(f"[[source]]\n{table}"), "sources.toml")
    assert "\n" not in str(e.value)
    assert str(e.value).startswith(PREFIX + message)


def test_name_must_be_a_plain_word() -> None:
    table = BASE.replace('"s"', '"s s"')
    with pytest.raises(SourceConfigError) as e:
        parse_sources(tomllib.loads(f"[[source]]\n{table}"), "sources.toml")
    assert str(e.value) == (
        "sources.toml: source 's s': name: use letters, digits, '.', '_' and '-' only"
    )


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        (
            f"[[source]]\n{BASE}\n[[source]]\n{BASE}",
            "sources.toml: source 's': name: duplicate source name",
        ),
        (
            '[[source]]\nname = "s"\nkind = "page"\nstart_urls = ["ftp://a.example/"]\n',
            "sources.toml: source 's': start_urls[0]: not an http(s) URL: 'ftp://a.example/'",
        ),
        (
            '[[source]]\nname = "s"\nkind = "page"\nstart_urls = []\n',
            "sources.toml: source 's': start_urls: needs at least one URL",
        ),
        (
            '[[source]]\nkind = "page"\nstart_urls = ["https://a.example/"]\n',
            "sources.toml: source #0: name: missing",
        ),
        (
            f'[[source]]\n{BASE}\n[[source]]\nname = "t"\nkind = "feed"\n',
            "sources.toml: source 't': start_urls: needs at least one URL",
        ),
        ('source = "x"\n', "sources.toml: 'source' must be an array of tables ([[source]])"),
    ],
)
def test_file_level_errors(toml: str, message: str) -> None:
    with pytest.raises(SourceConfigError, match=f"^{re.escape(message)}$"):
        parse_sources(tomllib.loads(toml), "sources.toml")


def test_unreadable_and_invalid_files(tmp_path: Path) -> None:
    with pytest.raises(SourceConfigError, match=r"missing\.toml: cannot read"):
        load_sources(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[[source]\nname=")
    with pytest.raises(SourceConfigError, match=r"bad\.toml: invalid TOML: ") as e:
        load_sources(bad)
    assert "\n" not in str(e.value)


@pytest.mark.timeout(20)
def test_catastrophic_pattern_cannot_hang(tmp_path: Path) -> None:
    """``(a+)+$`` on forty ``a``s and a ``b`` backtracks for ages in ``re``; RE2 is linear."""
    path = tmp_path / "sources.toml"
    path.write_text("[[source]]\n" + BASE + "follow = ['(a+)+$']\nallow_offsite = ['(x+x+)+y']\n",
                    encoding="utf-8")
    [s] = load_sources(path)
    link = "https://a.example/" + "a" * 40 + "b"
    assert not s.follows(link)
    assert s.follows("https://a.example/" + "a" * 40)
    assert not s.offsite_allowed("https://b.example/" + "x" * 5000)


def test_offsite_raw_templates() -> None:
    [source] = parse_sources(
        _one("offsite_raw = { '^https?://paste\\.example/' = '/raw/{id}' }\n"), "s.toml"
    )
    assert source.offsite_raw_url("https://paste.example/AbCd1234") == (
        "https://paste.example/raw/AbCd1234"
    )
    assert source.offsite_raw_url("https://other.example/AbCd1234") is None
    assert parse_sources(_one(""), "s.toml")[0].offsite_raw_url("https://paste.example/x") is None


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("offsite_raw = ['/raw/{id}']\n", "offsite_raw: must be a table"),
        ("offsite_raw = { 'x' = 'raw/{id}' }\n", "must be an absolute path"),
        ("offsite_raw = { 'x' = '/raw' }\n", "must contain {id}"),
        ("offsite_raw = { '(' = '/raw/{id}' }\n", "invalid regex"),
    ],
)
def test_offsite_raw_errors(extra: str, message: str) -> None:
    with pytest.raises(SourceConfigError, match=re.escape(message)) as e:
        parse_sources(_one(extra), "s.toml")
    assert "\n" not in str(e.value) and "source 's'" in str(e.value)
