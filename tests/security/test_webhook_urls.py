"""A webhook URL that is not http(s) with a host is refused, so the server never fetches a file:,
ftp:, javascript: or data: URL (tests/contract/test_webhooks.py checks ftp:, a bare host and `http://`)."""

from __future__ import annotations

import pytest
from sec_box import Box

REFUSED = [
    "file:///etc/passwd",
    "FILE:///etc/passwd",
    " file:///etc/passwd",
    "javascript:alert(1)",
    "data:text/plain,hello",
    "gopher://127.0.0.1:70/x",
    "ftp://127.0.0.1/x",
    "ws://127.0.0.1/x",
    "//127.0.0.1/x",
    "127.0.0.1:9/x",
    "http:/x",
    "http:///x",
    "https:x",
]


async def test_urls_that_are_not_http_are_refused(box: Box) -> None:
    for url in REFUSED:
        answer = await box.http.post(
            "/v1/webhooks", json={"url": url, "events": ["computer.created"]}
        )
        assert answer.status_code == 422, (url, answer.text)
        assert answer.json()["message"].startswith("url: "), url
    assert (await box.http.get("/v1/webhooks")).json() == {"webhooks": []}


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/hook", "HTTPS://example.com/x?a=1"])
async def test_http_and_https_urls_are_taken(box: Box, url: str) -> None:
    answer = await box.http.post("/v1/webhooks", json={"url": url, "events": ["agent.finished"]})
    assert answer.status_code == 201, answer.text
