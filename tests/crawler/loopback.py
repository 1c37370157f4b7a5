"""A loopback HTTP site for crawl tests: static pages, failure routes, a request log.

Started by the tests themselves on 127.0.0.1, port 0; never the real network.
Pages live in ``server.pages`` (path -> Page) so a test can edit an ad between
crawls; ``server.log`` lists every request path (with query) in arrival order.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable
from urllib.parse import parse_qs, urlsplit


@dataclass
class Page:
    body: bytes
    status: int = 200
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "text/html; charset=utf-8"})
    delay: float = 0.0
    drip: float = 0.0  # a tarpit: seconds between single bytes of the body


Route = Callable[[dict[str, list[str]]], Page]


class LoopbackServer:
    """ThreadingHTTPServer on 127.0.0.1:0 (or another loopback address) serving ``pages`` and ``routes``."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.pages: dict[str, Page] = {}
        self.routes: dict[str, Route] = {}
        self.log: list[str] = []
        self.counter: dict[str, int] = {}
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                parts = urlsplit(self.path)
                with server._lock:
                    server.log.append(self.path)
                    server.counter[parts.path] = server.counter.get(parts.path, 0) + 1
                route = server.routes.get(parts.path)
                page = route(parse_qs(parts.query)) if route else server.pages.get(parts.path)
                if page is None:
                    page = Page(b"<html><body><h1>Not found</h1></body></html>", status=404)
                if page.delay:
                    time.sleep(page.delay)
                try:
                    self.send_response(page.status)
                    for name, value in page.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(page.body)))
                    self.end_headers()
                    if page.drip:
                        for i in range(len(page.body)):
                            self.wfile.write(page.body[i : i + 1])
                            self.wfile.flush()
                            time.sleep(page.drip)
                    else:
                        self.wfile.write(page.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the crawler gave up (timeout, size limit): that is the point

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer((host, 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://{host}:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def start(self) -> "LoopbackServer":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def requested(self, prefix: str) -> list[str]:
        """Logged requests whose path starts with ``prefix``."""
        return [p for p in self.log if p.startswith(prefix)]


def html(body: str, head: str = "", charset: str | None = "utf-8", title: str = "page") -> Page:
    """A UTF-8 HTML page (``charset=None``: no charset in the Content-Type)."""
    doc = f"<!DOCTYPE html><html><head><title>{title}</title>{head}</head><body>{body}</body></html>"
    ctype = f"text/html; charset={charset}" if charset else "text/html"
    return Page(doc.encode(charset or "utf-8"), headers={"Content-Type": ctype})


def jobposting_page(
    ad_id: int, title: str, description: str, country: str = "KH", company: str = "Acme Hiring"
) -> Page:
    """A detail page with one JSON-LD JobPosting."""
    data = {
        "@context": "https://schema.org",
        "@type": "JobPosting",
        "title": title,
        "description": description,
        "identifier": {"@type": "PropertyValue", "value": str(ad_id)},
        "datePosted": "2026-11-20",
        "hiringOrganization": {"@type": "Organization", "name": company},
        "jobLocation": {
            "@type": "Place",
            "address": {"@type": "PostalAddress", "addressLocality": "Phnom Penh", "addressCountry": country},
        },
    }
    head = f'<script type="application/ld+json">{json.dumps(data, ensure_ascii=False)}</script>'
    return html(f"<h1>{title}</h1>", head=head, title=title)
