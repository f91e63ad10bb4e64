"""The HTTP layer under OrbClient: one httpx.AsyncClient, error statuses and failures as OrbError."""

from __future__ import annotations

import functools
import json
import logging
import ssl
import threading
import weakref
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit

import httpx

from orb_tui.api.errors import (
    ConnectError,
    FileTooLarge,
    OrbError,
    ProtocolError,
    Timeout,
    TransportError,
    error_from_response,
    redact,
)


def origin(url: httpx.URL | str) -> str:
    """`scheme://host:port` of a URL: what messages name (never a path, query or credentials)."""
    parts = urlsplit(str(url))
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}"


def _where(url: httpx.URL) -> str:
    return f"{origin(url)}{url.path}"


def _connect_reason(exc: BaseException) -> str:
    """A few words on why a connection failed, from the exception and its causes."""
    seen: BaseException | None = exc
    texts: list[str] = []
    while seen is not None and len(texts) < 6:
        if isinstance(seen, ConnectionRefusedError):
            return "connection refused"
        texts.append(str(seen).lower())
        seen = seen.__cause__ or seen.__context__
    joined = " ".join(texts)
    for needle, reason in [
        ("refused", "connection refused"),
        ("name or service not known", "unknown host"),
        ("nodename nor servname", "unknown host"),
        ("temporary failure in name resolution", "the name could not be resolved"),
        ("certificate", "the TLS certificate was not accepted"),
        ("ssl", "the TLS handshake failed"),
        ("unreachable", "network unreachable"),
    ]:
        if needle in joined:
            return reason
    return texts[0] if texts and texts[0] else "connection failed"


def _seconds(value: float | None) -> str:
    return "ever" if value is None else f"{value:g} s"


@functools.cache
def tls_context() -> ssl.SSLContext:
    # Loading the CA bundle costs 30-200 ms; every client (and every sign-in probe) shares one.
    return httpx.create_ssl_context()


def unverified_tls() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def too_large(path: str, limit: int, size: int | None) -> FileTooLarge:
    shown = f"{limit / (1 << 20):g} MiB" if limit >= 1 << 20 else f"{limit} bytes"
    return FileTooLarge(f"{path} is larger than {shown}; too big to show", limit=limit, size=size)


def _redirected(response: httpx.Response) -> ProtocolError:
    # Redirects are not followed: the Bearer key must not travel to another host unasked.
    target = response.headers.get("location", "")
    where = origin(response.request.url.join(target)) if target else "another address"
    return ProtocolError(
        f"{_where(response.request.url)} redirected to {where} ({response.status_code}): "
        "set the API URL to that address"
    )


_live_cores: weakref.WeakSet[HttpCore] = weakref.WeakSet()
_live_lock = threading.Lock()


class _KeyFilter(logging.Filter):
    """httpcore logs response headers at DEBUG: a server echoing the key would put it in the log."""

    def filter(self, record: logging.LogRecord) -> bool:
        with _live_lock:
            secrets = [core.api_key for core in _live_cores if core.api_key]
        if secrets:
            text = record.getMessage()
            clean = redact(text, secrets)
            if clean != text:
                record.msg, record.args = clean, ()
        return True


_KEY_FILTER = _KeyFilter()
for _name in (
    "httpx",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
):
    logging.getLogger(_name).addFilter(_KEY_FILTER)


class HttpCore:
    """Sends requests with the Bearer key and maps every failure onto the OrbError tree."""

    def __init__(
        self,
        base_url: str,
        api_key: str | None,
        *,
        transport: httpx.AsyncBaseTransport | None,
        timeout: float,
        verify: bool,
    ) -> None:
        self.api_key = api_key
        self.timeout = timeout
        self._http = httpx.AsyncClient(
            base_url=base_url,
            transport=transport,
            timeout=timeout,
            verify=tls_context() if verify else False,
            headers={"Accept": "application/json", "User-Agent": "orb-tui"},
        )
        with _live_lock:
            _live_cores.add(self)

    async def aclose(self) -> None:
        await self._http.aclose()

    def _headers(self, extra: Mapping[str, str] | None) -> dict[str, str]:
        headers = dict(extra or {})
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        return headers

    def _timeout(self, read: float | None) -> httpx.Timeout:
        if read is None:
            return httpx.Timeout(self.timeout)
        return httpx.Timeout(read, connect=self.timeout)

    @asynccontextmanager
    async def stream(
        self,
        method: str,
        path: str,
        *,
        subject: str | None = None,
        read_timeout: float | None = None,
        json: object = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
    ) -> AsyncIterator[httpx.Response]:
        """Send a request and yield the streaming response; error statuses raise ApiError."""
        request = self._http.build_request(
            method,
            path,
            json=json,
            content=content,
            params=params,
            headers=self._headers(headers),
            timeout=self._timeout(read_timeout),
        )
        try:
            response = await self._http.send(request, stream=True)
        except httpx.HTTPError as exc:
            raise self.transport_error(exc, request, read_timeout) from exc
        try:
            if response.status_code >= 400:
                body = await self.read(response, request, read_timeout)
                raise error_from_response(
                    response.status_code,
                    body,
                    response.headers,
                    subject=subject,
                    secrets=[self.api_key],
                )
            if response.is_redirect:
                raise _redirected(response)
            yield response
        finally:
            await response.aclose()

    async def read(
        self, response: httpx.Response, request: httpx.Request, read_timeout: float | None
    ) -> bytes:
        try:
            return await response.aread()
        except httpx.HTTPError as exc:
            raise self.transport_error(exc, request, read_timeout, response) from exc

    def transport_error(
        self,
        exc: httpx.HTTPError,
        request: httpx.Request,
        read_timeout: float | None,
        response: httpx.Response | None = None,
    ) -> OrbError:
        where = _where(request.url)
        if isinstance(exc, httpx.TimeoutException):
            limit = self.timeout if isinstance(exc, httpx.ConnectTimeout) else read_timeout
            limit = self.timeout if limit is None else limit
            return Timeout(f"{where}: no answer within {_seconds(limit)}")
        if isinstance(exc, httpx.ConnectError):
            reason = redact(_connect_reason(exc), [self.api_key])
            return ConnectError(f"cannot reach {origin(request.url)}: {reason}")
        if response is not None:
            kind = response.headers.get("content-type", "no content type")
            return ProtocolError(
                f"the answer from {where} was cut off ({response.status_code}, {kind})"
            )
        if isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)):
            return TransportError(f"the connection to {origin(request.url)} broke: no answer")
        reason = redact(str(exc) or type(exc).__name__, [self.api_key])
        return TransportError(f"request to {where} failed: {reason}")

    async def call(
        self,
        method: str,
        path: str,
        *,
        read_timeout: float | None = None,
        **kwargs: Any,
    ) -> object:
        """One request whose answer is JSON; returns the decoded JSON (None for an empty body)."""
        async with self.stream(method, path, read_timeout=read_timeout, **kwargs) as response:
            body = await self.read(response, response.request, read_timeout)
        return self.decode(response, body)

    @staticmethod
    def decode(response: httpx.Response, body: bytes) -> object:
        if not body.strip():
            return None
        try:
            return json.loads(body)
        except (ValueError, UnicodeDecodeError):
            kind = response.headers.get("content-type", "no content type")
            what = "a cut-off JSON answer" if kind.startswith("application/json") else "not JSON"
            raise ProtocolError(
                f"the server answered with {what} ({response.status_code}, {kind})"
            ) from None

    async def read_capped(self, response: httpx.Response, path: str, max_bytes: int) -> bytes:
        chunks: list[bytes] = []
        total = 0
        try:
            async for chunk in response.aiter_bytes():
                total += len(chunk)
                if total > max_bytes:
                    raise too_large(path, max_bytes, None)
                chunks.append(chunk)
        except httpx.HTTPError as exc:
            raise self.transport_error(exc, response.request, None, response) from exc
        return b"".join(chunks)
