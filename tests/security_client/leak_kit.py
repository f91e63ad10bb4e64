"""Client-side security helpers: a hostile HTTP(S) server that echoes the key back, and key checks.

The hostile server is a real server on a loopback socket (http.server in a thread): it answers
every request with the status, headers and body a test sets, where `{key}` stands for the Bearer
key it was sent, so a client that passes server text on unfiltered would show the key.
"""

from __future__ import annotations

import html
import http.server
import re
import secrets
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

from textual.app import App


def svg_text(svg: str) -> str:
    """The text an SVG screenshot shows (styles and tags dropped, entities decoded)."""
    body = re.sub(r"(?s)<style.*?</style>", "", svg)
    return html.unescape(re.sub(r"<[^>]+>", "", body)).replace("\xa0", " ")


def screen_text(app: App[object]) -> str:
    """What the app's screen shows now, as text (Textual's own SVG export)."""
    return svg_text(app.export_screenshot())


def org_key() -> str:
    """A key shaped like the ones the server hands out (`orb_` + 43 url-safe characters)."""
    return "orb_" + secrets.token_urlsafe(32)


def leaks(text: str, key: str) -> list[str]:
    """Pieces of `key` longer than its masked form shows (8 + 4 characters) found in `text`."""
    window = 12
    return sorted(
        {key[i : i + window] for i in range(len(key) - window + 1) if key[i : i + window] in text}
    )


def assert_no_key(text: str, key: str, where: str) -> None:
    """Fail, naming `where`, if `key` or any 12-character piece of it is in `text`."""
    found = leaks(text, key)
    assert not found, f"the API key leaks into {where}: {found[:3]} in {text[:2000]!r}"


@dataclass
class Answer:
    """What the hostile server sends; `{key}` in the headers or body becomes the key it got."""

    status: int = 200
    body: str = "{}"
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "application/json"})


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: HostileServer

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        auth = self.headers.get("Authorization", "")
        key = auth.removeprefix("Bearer ").strip()
        self.server.seen.append((self.command, self.path, key))
        answer = self.server.answer
        body = answer.body.replace("{key}", key).encode()
        self.send_response(answer.status)
        for name, value in answer.headers.items():
            self.send_header(name, value.replace("{key}", key))
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _answer

    def log_message(self, format: str, *args: object) -> None:
        pass  # the test reads `seen`, not stderr


class HostileServer(http.server.ThreadingHTTPServer):
    """Answers every request with `self.answer`; records (method, path, key) in `seen`."""

    daemon_threads = True

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.answer = Answer()
        self.seen: list[tuple[str, str, str]] = []
        if tls is not None:
            self.socket = tls.wrap_socket(self.socket, server_side=True)
        self.scheme = "https" if tls is not None else "http"

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.server_address[1]}"

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client that hangs up mid-answer is what some tests do


def serving(server: HostileServer) -> Iterator[HostileServer]:
    """Run `server` on a thread while the generator is suspended; stop it afterwards."""
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()
