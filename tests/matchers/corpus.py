"""A corpus of page shapes, each planting customers with the fields its rows hold.

Every shape is a document as people post and paste it: a table after a few
lines of chatter (psql, MySQL, Markdown, fixed width, CSV, JSON lines, SQL), a
list post in each bullet style (names with and without a space, a first line
like ``続き（2/3）``), ``key: value`` blocks, and HTML pages made like real
software's markup — a paste page with a site menu, a line-number gutter and the
dump in a ``<pre>``; a paste page whose text is a ``<table>`` of ``<code>`` lines
plus a ``<textarea>`` copy; a forum thread with list posts.

``Planted`` says which fields each planted record's row holds: a scan must tie
all of them to the record (the level follows from the fields, whatever rule
turns fields into levels).
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from tests.matchers.factories import Customer

ALL = ("name", "name_kana", "phone", "email", "birthdate", "postal_code", "address")
LIST_FIELDS = ("name", "phone", "address")

# What a paste page's visible text holds around the dump: its menu, info bar and
# a sidebar of recent pastes (about thirty lines, as on real paste sites).
CHATTER = (
    "PasteHub\nArchive\nTrends\nAPI\nTools\nFAQ\nLogin\nSign up\n"
    "これは先月のやつ。まだ売ってる人いるらしい\n"
    "Guest Nov 30th, 2026 1.2 KB Never\n"
    "raw download clone embed print report\n"
    "Public Pastes\n"
    + "".join(f"Untitled {n} min ago\nText {n * 3} KB\n" for n in range(1, 10))
    + "Add comment\nPlease, Sign In to add comment\n"
)
# A list item's note after the address ("未連絡": not contacted yet).
NOTE = "未連絡"


@dataclass(frozen=True)
class Planted:
    """A document and, per planted record, the fields its row holds."""

    name: str
    text: str
    expected: dict[str, tuple[str, ...]]
    html: bool = False


def _row(c: Customer) -> list[str]:
    return [c.value(f) for f in ALL]


_HEAD = ["氏名", "フリガナ", "電話番号", "メール", "生年月日", "郵便番号", "住所"]


def psql(cs: Sequence[Customer]) -> str:
    rows = [_HEAD, *(_row(c) for c in cs)]
    widths = [max(len(r[j]) for r in rows) for j in range(len(_HEAD))]

    def fmt(r: list[str]) -> str:
        return " " + " | ".join(v.ljust(w) for v, w in zip(r, widths, strict=True))

    rule = "-+-".join("-" * w for w in widths)
    body = [fmt(r) for r in rows[1:]]
    return "\n".join([fmt(rows[0]), "-" + rule + "-", *body, f"({len(cs)} rows)", ""])


def mysql(cs: Sequence[Customer]) -> str:
    rows = [_HEAD, *(_row(c) for c in cs)]
    widths = [max(len(r[j]) for r in rows) for j in range(len(_HEAD))]
    rule = "+" + "+".join("-" * (w + 2) for w in widths) + "+"

    def fmt(r: list[str]) -> str:
        return "| " + " | ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) + " |"

    return "\n".join(
        [
            rule,
            fmt(rows[0]),
            rule,
            *(fmt(r) for r in rows[1:]),
            rule,
            f"{len(cs)} rows in set (0.01 sec)",
            "",
        ]
    )


def markdown(cs: Sequence[Customer]) -> str:
    lines = ["| " + " | ".join(_HEAD) + " |", "|" + "---|" * len(_HEAD)]
    lines += ["| " + " | ".join(_row(c)) + " |" for c in cs]
    return "\n".join(lines) + "\n"


def fixed_width(cs: Sequence[Customer]) -> str:
    rows = [_HEAD, *(_row(c) for c in cs)]
    widths = [max(len(r[j]) for r in rows) + 3 for j in range(len(_HEAD))]
    return (
        "\n".join(
            "".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in rows
        )
        + "\n"
    )


def csv_text(cs: Sequence[Customer]) -> str:
    return "\n".join([",".join(_HEAD), *(",".join(_row(c)) for c in cs)]) + "\n"


def jsonl(cs: Sequence[Customer]) -> str:
    return "".join(
        json.dumps(dict(zip(ALL, _row(c), strict=True)), ensure_ascii=False) + "\n" for c in cs
    )


def sql(cs: Sequence[Customer]) -> str:
    values = ",\n".join("(" + ", ".join(f"'{v}'" for v in _row(c)) + ")" for c in cs)
    cols = "name, kana, phone, email, birthday, zip, address"
    return f"INSERT INTO customers ({cols}) VALUES\n{values};\n"


def kv_blocks(cs: Sequence[Customer]) -> str:
    out = []
    for c in cs:
        out.append(f"氏名: {c.name}\n電話: {c.phone}\nメール: {c.email}\n住所: {c.address}\n")
    return "\n".join(out)


BULLETS: tuple[Callable[[int], str], ...] = (
    lambda i: "・",
    lambda i: "- ",
    lambda i: "* ",
    lambda i: "• ",
    lambda i: chr(0x2460 + i % 20),
    lambda i: f"{i + 1}. ",
    lambda i: f"({i + 1}) ",
)


def list_post(cs: Sequence[Customer], bullet: Callable[[int], str], *, spaced: bool) -> str:
    lines = ["続き（2/3）"]
    for i, c in enumerate(cs):
        name = c.name if spaced else c.name.replace(" ", "")
        lines.append(f"{bullet(i)}{name}さん（{c.phone}）{c.address} {NOTE}")
    lines.append("残りは次のレスで")
    return "\n".join(lines) + "\n"


def _expect(cs: Sequence[Customer], fields: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    return {c.ref: fields for c in cs}


def text_shapes(customers: Sequence[Customer]) -> list[Planted]:
    """Plain-text shapes, each with 30 records after a few lines of chatter."""
    out: list[Planted] = []
    chunks = [customers[i * 30 : (i + 1) * 30] for i in range(len(customers) // 30)]
    tables: list[tuple[str, Callable[[Sequence[Customer]], str]]] = [
        ("psql", psql),
        ("mysql", mysql),
        ("markdown", markdown),
        ("fixed-width", fixed_width),
        ("csv", csv_text),
        ("jsonl", jsonl),
        ("sql", sql),
    ]
    k = 0
    for name, render in tables:
        cs = chunks[k % len(chunks)]
        k += 1
        out.append(Planted(name, CHATTER + "\n" + render(cs), _expect(cs, ALL)))
        # Chatter glued to the table, no blank line between.
        cs = chunks[k % len(chunks)]
        k += 1
        out.append(Planted(name + "-glued", CHATTER + render(cs), _expect(cs, ALL)))
    cs = chunks[k % len(chunks)]
    k += 1
    out.append(
        Planted(
            "kv-blocks", CHATTER + kv_blocks(cs), _expect(cs, ("name", "phone", "email", "address"))
        )
    )
    for b, bullet in enumerate(BULLETS):
        for spaced in (True, False):
            cs = chunks[k % len(chunks)]
            k += 1
            out.append(
                Planted(
                    f"list-{b}-{'spaced' if spaced else 'joined'}",
                    list_post(cs, bullet, spaced=spaced),
                    _expect(cs, LIST_FIELDS),
                )
            )
    return out


# ------------------------------------------------------------------- HTML pages

MENU = (
    '<header><nav class="menu"><a href="/">PasteHub</a> <a href="/archive">Archive</a> '
    '<a href="/trends">Trends</a> <a href="/login">Login</a> <a href="/signup">Sign up</a></nav>'
    '<form class="search"><input name="q" placeholder="Search"><button>Go</button></form></header>'
)


def paste_pre_page(title: str, text: str) -> str:
    """A paste page: menu, info bar, buttons, a line-number gutter and the text in a <pre>."""
    lines = text.split("\n")
    gutter = "\n".join(str(i + 1) for i in range(len(lines)))
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>"
        f"{html.escape(title)} - PasteHub</title><script>var x=1;</script></head><body>{MENU}"
        f"<div class='info'><h1>{html.escape(title)}</h1>"
        "<span>Guest</span> <span>Nov 30th, 2026</span>"
        " <span>1.2 KB</span> <span>Never</span></div>"
        "<div class='buttons'><a href='#raw'>raw</a> <a href='#download'>download</a> "
        "<a href='#clone'>clone</a> <a href='#embed'>embed</a> <a href='#report'>report</a></div>"
        "<table class='code-wrap'><tr>"
        f"<td class='gutter'><pre>{gutter}</pre></td>"
        f"<td class='code'><pre class='source'>{html.escape(text)}</pre></td>"
        "</tr></table>"
        "<footer><p>Public pastes</p><ul><li><a href='/a1'>Untitled</a> 5 sec ago</li>"
        "<li><a href='/a2'>config</a> 1 min ago</li></ul></footer></body></html>"
    )


def paste_table_page(title: str, text: str) -> str:
    """A paste page holding the text twice: a <table> with a <code> per line
    (line numbers in their own cells) and a <textarea> copy for "copy"."""
    rows = "".join(
        f"<tr><td class='line-number' data-line='{i + 1}'>{i + 1}</td>"
        f"<td class='line-content'><code>{html.escape(line)}</code></td></tr>"
        for i, line in enumerate(text.split("\n"))
    )
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>"
        f"{html.escape(title)}</title></head><body>{MENU}"
        f"<main><h1>{html.escape(title)}</h1><div class='toolbar'><button>Copy</button>"
        "<button>Raw</button><button>Fork</button></div>"
        f"<table class='highlight'><tbody>{rows}</tbody></table>"
        f"<textarea id='copy' readonly hidden>{html.escape(text)}</textarea>"
        "</main></body></html>"
    )


def forum_thread_page(posts: Sequence[str], links: Sequence[str] = ()) -> str:
    """A forum thread: each post a <div class='post'> with header, body (<br> lines), links."""
    parts = []
    for n, body in enumerate(posts, start=1):
        lines = "<br>\n".join(html.escape(ln) for ln in body.rstrip("\n").split("\n"))
        link = (
            "".join(f"<p><a href='{html.escape(u)}'>{html.escape(u)}</a></p>" for u in links)
            if n == 1
            else ""
        )
        parts.append(
            f"<div class='post' id='p{n}'><div class='post-head'><span class='no'>{n}</span> "
            f"<span class='name'>名無しさん</span> <span class='date'>2026/11/30(月) 12:0{n}</span>"
            f"</div><div class='post-body'>{lines}{link}</div></div>"
        )
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>スレ</title></head><body>"
        "<div class='nav'><a href='/'>掲示板トップ</a> <a href='/new'>新着</a></div>"
        f"<h1>顧客リスト流出スレ</h1>{''.join(parts)}</body></html>"
    )


def html_shapes(customers: Sequence[Customer]) -> list[Planted]:
    """HTML page shapes (30-record dumps, list posts)."""
    chunks = [customers[i * 30 : (i + 1) * 30] for i in range(len(customers) // 30)]
    out = [
        Planted(
            "pre-psql",
            paste_pre_page("dump", CHATTER + psql(chunks[0])),
            _expect(chunks[0], ALL),
            True,
        ),
        Planted(
            "pre-mysql", paste_pre_page("dump", mysql(chunks[1])), _expect(chunks[1], ALL), True
        ),
        Planted(
            "table-psql", paste_table_page("dump", psql(chunks[2])), _expect(chunks[2], ALL), True
        ),
        Planted(
            "table-csv",
            paste_table_page("dump", csv_text(chunks[3])),
            _expect(chunks[3], ALL),
            True,
        ),
        Planted(
            "table-fixed",
            paste_table_page("dump", fixed_width(chunks[4])),
            _expect(chunks[4], ALL),
            True,
        ),
    ]
    posts = []
    expected: dict[str, tuple[str, ...]] = {}
    for b, bullet in enumerate(BULLETS):
        cs = chunks[5 + b % (len(chunks) - 5)][:10]
        posts.append(list_post(cs, bullet, spaced=b % 2 == 0))
        expected.update(_expect(cs, LIST_FIELDS))
    out.append(Planted("forum-lists", forum_thread_page(posts), expected, True))
    return out
