"""Signals the crawler sends besides Scrapy's own.

``document_unchanged(url: str, source: str | None, spider)``: the server answered
304 to a conditional request, so the document is still there, unchanged, and no
item is emitted for it. The application connects to it to refresh "last seen".
"""

document_unchanged = object()
