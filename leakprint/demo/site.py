"""A local paste site and forum for the demo (stdlib HTTP servers on 127.0.0.1)."""

from __future__ import annotations

import html
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Route = tuple[str, bytes]  # content type, body


@dataclass
class Site:
    """A tiny static site: path → (content type, body)."""

    routes: dict[str, Route] = field(default_factory=dict)
    server: ThreadingHTTPServer | None = None

    @property
    def base(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def page(self, path: str, title: str, body_html: str) -> None:
        doc = (
            f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}"
            f"</title></head><body>{body_html}</body></html>"
        )
        self.routes[path] = ("text/html; charset=utf-8", doc.encode("utf-8"))

    def raw(self, path: str, body: bytes, charset: str = "utf-8") -> None:
        self.routes[path] = (f"text/plain; charset={charset}", body)


def _handler(site: Site) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            route = site.routes.get(self.path)
            if route is None:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            ctype, body = route
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:  # quiet: the demo prints its own story
            return

    return Handler


@contextmanager
def serving(*sites: Site) -> Iterator[tuple[Site, ...]]:
    """Serve each site on its own free port until the block ends."""
    threads = []
    for site in sites:
        site.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(site))
        site.server.daemon_threads = True
        thread = threading.Thread(target=site.server.serve_forever, daemon=True)
        thread.start()
        threads.append(thread)
    try:
        yield sites
    finally:
        for site in sites:
            assert site.server is not None
            site.server.shutdown()
            site.server.server_close()
        for thread in threads:
            thread.join(5)
