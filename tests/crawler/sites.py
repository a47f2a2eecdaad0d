"""Mock sites for crawl tests: stdlib ThreadingHTTPServer on 127.0.0.1, port 0, daemon thread.

``MAIN`` routes serve a forum, feeds, a JavaScript page, Japanese encodings, error
cases and robots.txt; ``PASTE`` routes serve a paste site on another port (so a forum
post can link "offsite" to it).
"""

from __future__ import annotations

import gzip
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

PLANTED = "ZEBRA-PLANTED-4242"
JS_MARKER = "RENDERED-BY-JS-7731"
JP_TEXT = "顧客情報の一覧です。氏名と電話番号を含みます。"
OFFSITE_MARKER = "OFFSITE-DUMP-5150"
POST_MARKER = "POST-TEXT-"

PASTE_IDS = ("AbCd1234", "EfGh5678", "IjKl9012")
Reply = tuple[int, dict[str, str], bytes]


def html(body: str, head: str = "") -> bytes:
    return f"<!DOCTYPE html><html><head>{head}</head><body>{body}</body></html>".encode()


def paste_text(paste_id: str) -> str:
    extra = f"\n{PLANTED}" if paste_id == "AbCd1234" else ""
    return f"paste {paste_id}\nname,phone\nyamada,090-0000-{paste_id[-4:]}{extra}\n"


def etag_of(paste_id: str) -> str:
    return f'"v1-{paste_id}"'


JP_PAGE = f"<p>{JP_TEXT}</p>"
ENCODED = {
    "/sjis-header": (JP_PAGE, "cp932", "text/html; charset=Shift_JIS", ""),
    "/sjis-meta": (JP_PAGE, "cp932", "text/html", '<meta charset="Shift_JIS">'),
    "/eucjp-header": (JP_PAGE, "euc_jp", "text/html; charset=EUC-JP", ""),
    "/eucjp-bare": (JP_PAGE, "euc_jp", "text/html", ""),
}


def encoded_body(path: str) -> bytes:
    text, codec, _, head = ENCODED[path]
    return f"<html><head>{head}</head><body>{text}</body></html>".encode(codec)


GZIP_BOMB = gzip.compress(b"\0" * (2 * 1024 * 1024))
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 512


@dataclass
class Site:
    """A running mock site; ``url(path)`` gives an absolute URL."""

    server: ThreadingHTTPServer
    stop: threading.Event
    hits: list[str] = field(default_factory=list)

    @property
    def base(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def url(self, path: str) -> str:
        return self.base + path


def _forum_thread(thread: int, page: int, paste_base: str) -> Reply:
    posts = []
    for n in (1, 2):
        text = f"{POST_MARKER}{thread}-{page}-{n} hello"
        if (thread, page, n) == (1, 1, 2):
            text += (
                f' leak here: <a href="{paste_base}/raw/XyZ98765">dump</a>'
                f' and <a href="{paste_base}/elsewhere">mirror</a>'
            )
        posts.append(f'<div class="post"><div class="post-body">{text}</div></div>')
    nxt = f'<a rel="next" href="/thread/{thread}?page={page + 1}">next</a>' if page < 3 else ""
    return 200, {"Content-Type": "text/html; charset=utf-8"}, html("".join(posts) + nxt)


def _feed(kind: str, base: str) -> Reply:
    if kind == "rss":
        body = (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
            f"<item><title>RSS-ENTRY-1</title><link>{base}/article/1</link>"
            "<description>&lt;p&gt;RSS-DESC-1&lt;/p&gt;</description></item>"
            f"<item><title>RSS-ENTRY-2</title><link>{base}/article/2</link>"
            "<description>RSS-DESC-2</description></item></channel></rss>"
        )
        return 200, {"Content-Type": "application/rss+xml"}, body.encode()
    body = (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        "<title>t</title><id>urn:feed</id>"
        f'<entry><title>ATOM-ENTRY-3</title><id>urn:3</id><link href="{base}/article/3"/>'
        '<content type="html">&lt;b&gt;ATOM-CONTENT-3&lt;/b&gt;</content></entry></feed>'
    )
    return 200, {"Content-Type": "application/atom+xml"}, body.encode()


def main_routes(site: Site, paste: Site) -> Callable[[str, dict[str, list[str]]], Reply]:
    def route(path: str, query: dict[str, list[str]]) -> Reply:
        ok_html = {"Content-Type": "text/html; charset=utf-8"}
        if path == "/robots.txt":
            return 200, {"Content-Type": "text/plain"}, b"User-agent: *\nDisallow: /private/\n"
        if path == "/forum":
            links = '<a href="/thread/1?page=1">t1</a> <a href="/thread/2?page=1">t2</a>'
            return 200, ok_html, html(links + ' <a href="/about">about</a>')
        if path.startswith("/thread/"):
            page = int(query.get("page", ["1"])[0])
            return _forum_thread(int(path.rsplit("/", 1)[1]), page, paste.base)
        if path in ("/feed.rss", "/feed.atom"):
            return _feed(path.rsplit(".", 1)[1], site.base)
        if path.startswith("/article/"):
            n = path.rsplit("/", 1)[1]
            return 200, ok_html, html(f"<h1>ARTICLE-PAGE-{n}</h1><script>var x=1;</script>")
        if path == "/js":
            script = (
                "setTimeout(function(){var e=document.getElementById('out');"
                f"e.textContent='{JS_MARKER}';e.className='done';}},300);"
            )
            return 200, ok_html, html(f'<div id="out">loading</div><script>{script}</script>')
        if path == "/js-huge":
            # Small as served; its script builds 1 MB of text in the page.
            script = (
                "var e=document.getElementById('out');"
                "e.textContent='x'.repeat(1048576);e.className='done';"
            )
            return 200, ok_html, html(f'<div id="out">loading</div><script>{script}</script>')
        if path in ENCODED:
            return 200, {"Content-Type": ENCODED[path][2]}, encoded_body(path)
        if path == "/private/secret":
            return 200, ok_html, html("<p>PRIVATE-PAGE</p>")
        if path == "/slow":
            site.stop.wait(5)
            return 200, ok_html, html("<p>SLOW-PAGE</p>")
        if path == "/huge":
            return 200, {"Content-Type": "text/plain"}, b"x" * (1024 * 1024)
        if path == "/image.png":
            return 200, {"Content-Type": "image/png"}, PNG
        if path == "/bomb":
            return 200, {"Content-Type": "text/plain", "Content-Encoding": "gzip"}, GZIP_BOMB
        return 404, ok_html, html("<p>not found</p>")

    return route


def paste_routes(site: Site) -> Callable[[str, dict[str, list[str]]], Reply]:
    def route(path: str, query: dict[str, list[str]]) -> Reply:
        ok_html = {"Content-Type": "text/html; charset=utf-8"}
        if path == "/archive":
            page = int(query.get("page", ["1"])[0])
            ids = PASTE_IDS[:2] if page == 1 else PASTE_IDS[2:]
            links = "".join(f'<li><a href="/{i}">{i}</a></li>' for i in ids)
            nxt = '<a rel="next" href="/archive?page=2">older</a>' if page == 1 else ""
            return 200, ok_html, html(f'<ul>{links}</ul><a href="/about">about</a>{nxt}')
        if path == "/raw/XyZ98765":
            return 200, {"Content-Type": "text/plain; charset=utf-8"}, OFFSITE_MARKER.encode()
        item = path.removeprefix("/raw/").lstrip("/")
        if item in PASTE_IDS:
            headers = {"ETag": etag_of(item)}
            if path.startswith("/raw/"):
                headers["Content-Type"] = "text/plain; charset=utf-8"
                return 200, headers, paste_text(item).encode()
            headers.update(ok_html)
            return 200, headers, html(f'<pre class="paste">{paste_text(item)}</pre>')
        return 404, ok_html, html("<p>not found</p>")

    return route


def start_site(make_route: Callable[[Site], Callable[..., Reply]], host: str = "127.0.0.1") -> Site:
    """Start a site whose routes are built by ``make_route(site)`` (on a loopback ``host``)."""
    routes: list[Callable[..., Reply]] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            site.hits.append(self.path)
            status, headers, body = routes[0](parts.path, parse_qs(parts.query))
            etag = headers.get("ETag")
            if etag and self.headers.get("If-None-Match") == etag:
                status, body = 304, b""
            try:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the crawler gave up (timeout, size limit): expected

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer((host, 0), Handler)
    server.daemon_threads = True
    server.block_on_close = False
    site = Site(server, threading.Event())
    routes.append(make_route(site))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return site


def stop_site(site: Site) -> None:
    site.stop.set()
    site.server.shutdown()
    site.server.server_close()


def closed_port_url() -> str:
    """A URL on a port nobody listens on (connection refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/"
