"""Signals the crawler sends besides Scrapy's own.

``document_unchanged(url: str, source: str | None, spider)``: the server answered
304 to a conditional request, so the document is still there, unchanged, and no
item is emitted for it. The application connects to it to refresh "last seen".

``coverage_error(kind: str, url: str, source: str | None, detail: str, spider)``: a
document could not be read in full (SPEC 10): ``kind`` is one of
``refused_address``, ``refused_redirect``, ``redirect_loop``, ``too_large``,
``binary``, ``unreachable``, ``wait_for``, ``offsite_dropped``,
``parse``. ``detail`` is one line that never quotes page content.
"""

document_unchanged = object()
coverage_error = object()
