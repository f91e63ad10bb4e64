"""OrbClient: every ORB API call over one httpx.AsyncClient, answers as models, failures as OrbError."""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timezone
from types import TracebackType
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit, urlunsplit

import httpx

from orb_tui.api._http import HttpCore, tls_context, too_large, unverified_tls
from orb_tui.api.errors import NotFound, ProtocolError, Unauthorized
from orb_tui.api.models import (
    Agent,
    ApiKey,
    Build,
    Computer,
    ComputerList,
    ConfigUpload,
    CreatedKey,
    CreatedWebhook,
    Delivery,
    Demoted,
    Deployment,
    DirListing,
    ExecResult,
    LoginToken,
    Promoted,
    Registration,
    Usage,
    Webhook,
    parse_list,
)
from orb_tui.api.terminal import TerminalChannel

__all__ = ["OrbClient"]

M = TypeVar("M")

BUILD_TIMEOUT = 600.0
EXEC_DEFAULT_TIMEOUT = 30.0  # the server's default when the body has no `timeout`
_CONFIG_TEXT_KEYS = ("config", "toml", "raw", "content", "text")
_CONFIG_TEXT_TYPES = frozenset(
    {"", "application/toml", "text/toml", "text/x-toml", "application/x-toml", "text/plain",
     "application/octet-stream"}
)  # fmt: skip


def _utc_text(moment: datetime) -> str:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    return aware.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class OrbClient:
    """The ORB API over HTTP.

    Args:
        base_url: e.g. `https://api.orbcloud.dev` or `http://127.0.0.1:8765` (a path prefix is kept).
        api_key: sent as `Authorization: Bearer`; settable later (after sign-in).
        transport: an httpx transport to use instead of the network (tests, special modes).
        timeout: seconds for ordinary calls; builds, exec and file reads use longer ones.
        verify: check TLS certificates.
    """

    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 10.0,
        verify: bool = True,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._verify = verify
        self._core = HttpCore(
            self.base_url, api_key, transport=transport, timeout=timeout, verify=verify
        )

    @property
    def api_key(self) -> str | None:
        """The key (or login token) sent as Bearer; set it after signing in."""
        return self._core.api_key

    @api_key.setter
    def api_key(self, value: str | None) -> None:
        self._core.api_key = value

    def __repr__(self) -> str:
        key = "set" if self.api_key else "none"
        return f"OrbClient({self.base_url!r}, api_key={key})"

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._core.aclose()

    async def __aenter__(self) -> OrbClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def _model(
        self, parse: Callable[[object], M], method: str, path: str, **kwargs: Any
    ) -> M:
        return parse(await self._core.call(method, path, **kwargs))

    async def _list(
        self, parse: Callable[[object], M], key: str, what: str, path: str, **kwargs: Any
    ) -> list[M]:
        return parse_list(await self._core.call("GET", path, **kwargs), key, parse, what)

    @staticmethod
    def _computer(computer_id: str) -> str:
        return f"/v1/computers/{quote(computer_id, safe='')}"

    @staticmethod
    def _subject(computer_id: str) -> str:
        return f"computer {computer_id[:8]}"

    # --- auth and keys ---------------------------------------------------------------------

    async def register(self, email: str) -> Registration:
        """Create an account; the answer holds its first API key."""
        return await self._model(
            Registration.from_json, "POST", "/api/v1/auth/register", json={"email": email}
        )

    async def login(self, api_key: str) -> LoginToken:
        """Trade an API key for a bearer token (JWT)."""
        return await self._model(
            LoginToken.from_json, "POST", "/api/v1/auth/login", json={"api_key": api_key}
        )

    async def list_keys(self) -> list[ApiKey]:
        return await self._list(ApiKey.from_json, "keys", "key list", "/v1/keys")

    async def create_key(self, name: str) -> CreatedKey:
        return await self._model(CreatedKey.from_json, "POST", "/v1/keys", json={"name": name})

    async def revoke_key(self, key_id: str) -> None:
        await self._core.call(
            "DELETE", f"/v1/keys/{quote(key_id, safe='')}", subject=f"key {key_id[:8]}"
        )

    # --- computers -------------------------------------------------------------------------

    async def list_computers(self) -> ComputerList:
        return await self._model(ComputerList.from_json, "GET", "/v1/computers")

    async def get_computer(self, computer_id: str) -> Computer:
        return await self._model(
            Computer.from_json,
            "GET",
            self._computer(computer_id),
            subject=self._subject(computer_id),
        )

    async def create_computer(
        self, name: str, runtime_mb: int = 512, disk_mb: int = 1024
    ) -> Computer:
        body = {"name": name, "runtime_mb": runtime_mb, "disk_mb": disk_mb}
        return await self._model(Computer.from_json, "POST", "/v1/computers", json=body)

    async def delete_computer(self, computer_id: str) -> None:
        await self._core.call(
            "DELETE", self._computer(computer_id), subject=self._subject(computer_id)
        )

    # --- config and build ------------------------------------------------------------------

    async def upload_config(self, computer_id: str, toml_text: str) -> ConfigUpload:
        """Upload orb.toml as raw text; a TOML error is BadRequest, a schema error ValidationFailed."""
        return await self._model(
            ConfigUpload.from_json,
            "POST",
            f"{self._computer(computer_id)}/config",
            subject=self._subject(computer_id),
            content=toml_text.encode(),
            headers={"Content-Type": "application/toml"},
        )

    async def get_config(self, computer_id: str) -> str | None:
        """The computer's orb.toml as uploaded, or None when it has none.

        Raises:
            NotFound: the computer does not exist (a 404 whose code is not `no_config`).
        """
        path = f"{self._computer(computer_id)}/config"
        try:
            async with self._core.stream(
                "GET", path, subject=self._subject(computer_id)
            ) as response:
                body = await self._core.read(response, response.request, None)
        except NotFound as exc:
            if exc.code == "no_config":
                return None
            raise
        return self._config_text(response, body)

    def _config_text(self, response: httpx.Response, body: bytes) -> str | None:
        kind = response.headers.get("content-type", "")
        if "json" not in kind:
            if kind.split(";")[0].strip().lower() not in _CONFIG_TEXT_TYPES:
                # a proxy's or captive portal's page must not be taken for orb.toml (and saved)
                raise ProtocolError(
                    "the server answered with something that is not the config "
                    f"({response.status_code}, {kind})"
                )
            return body.decode("utf-8", errors="replace")
        data = self._core.decode(response, body)  # the cloud may wrap it; tolerate that
        if data is None or isinstance(data, str):
            return data
        if isinstance(data, Mapping):
            for key in _CONFIG_TEXT_KEYS:
                if isinstance(data.get(key), str):
                    return str(data[key])
        raise ProtocolError(
            f"the config answer holds no TOML text ({response.status_code}, {kind})"
        )

    async def build(self, computer_id: str, *, timeout: float = BUILD_TIMEOUT) -> Build:
        """Clone and run the build steps; blocks until done (up to `timeout` seconds)."""
        return await self._model(
            Build.from_json,
            "POST",
            f"{self._computer(computer_id)}/build",
            subject=self._subject(computer_id),
            read_timeout=timeout,
        )

    async def list_builds(self, computer_id: str) -> list[Build]:
        """Past builds, newest first (local server only).

        The cloud has no such endpoint. On a 404 the computer itself is checked: if it is gone
        that NotFound is raised, otherwise the endpoint is missing and the answer is [].
        """
        path = f"{self._computer(computer_id)}/builds"
        try:
            return await self._list(Build.from_json, "builds", "build list", path)
        except NotFound:
            await self.get_computer(computer_id)
            return []

    # --- agents and exec -------------------------------------------------------------------

    async def deploy(self, computer_id: str) -> Deployment:
        return await self._model(
            Deployment.from_json,
            "POST",
            f"{self._computer(computer_id)}/agents",
            subject=self._subject(computer_id),
            json={},
            read_timeout=max(self.timeout, 60.0),
        )

    async def list_agents(self, computer_id: str) -> list[Agent]:
        return await self._list(
            Agent.from_json,
            "agents",
            "agent list",
            f"{self._computer(computer_id)}/agents",
            subject=self._subject(computer_id),
        )

    async def demote(self, computer_id: str, port: int) -> Demoted:
        """Put the agent on `port` to sleep (checkpoint it)."""
        return await self._agent_call(Demoted.from_json, computer_id, "demote", port)

    async def promote(self, computer_id: str, port: int) -> Promoted:
        """Wake the agent on `port`; its port may change."""
        return await self._agent_call(Promoted.from_json, computer_id, "promote", port)

    async def _agent_call(
        self, parse: Callable[[object], M], computer_id: str, verb: str, port: int
    ) -> M:
        return await self._model(
            parse,
            "POST",
            f"{self._computer(computer_id)}/agents/{verb}",
            subject=f"agent on port {port} of {self._subject(computer_id)}",
            json={"port": port},
            read_timeout=max(self.timeout, 60.0),
        )

    async def exec(
        self, computer_id: str, command: str, *, timeout: float | None = None
    ) -> ExecResult:
        """Run `bash -c command` in the computer; `timeout` is the server-side limit in seconds."""
        body: dict[str, object] = {"command": command}
        if timeout is not None:
            body["timeout"] = timeout
        limit = EXEC_DEFAULT_TIMEOUT if timeout is None else timeout
        return await self._model(
            ExecResult.from_json,
            "POST",
            f"{self._computer(computer_id)}/exec",
            subject=self._subject(computer_id),
            json=body,
            read_timeout=max(self.timeout, limit + 10.0),
        )

    # --- files -----------------------------------------------------------------------------

    def _file_path(self, computer_id: str, path: str) -> str:
        """`.../files` for the root, else `.../files/<path>` with each segment percent-encoded.

        `.` and `..` are resolved here: sent as they are, URL normalisation would lift them out of
        `files/` onto another endpoint (`files/../config` is `.../config`).
        """
        inner = posixpath.normpath(f"/{path}").strip("/")
        base = f"{self._computer(computer_id)}/files"
        return f"{base}/{quote(inner, safe='/')}" if inner else base

    async def list_files(self, computer_id: str, path: str = "/") -> DirListing:
        listing = await self._model(
            DirListing.from_json,
            "GET",
            self._file_path(computer_id, path),
            subject=f"{path} on {self._subject(computer_id)}",
        )
        return listing if listing.path else replace(listing, path=path)

    async def read_file(self, computer_id: str, path: str, *, max_bytes: int = 8 << 20) -> bytes:
        """A file's raw bytes, at most `max_bytes` of them.

        Raises:
            FileTooLarge: the file is bigger than `max_bytes` (checked before and while reading).
        """
        subject = f"{path} on {self._subject(computer_id)}"
        async with self._core.stream(
            "GET",
            self._file_path(computer_id, path),
            subject=subject,
            read_timeout=max(self.timeout, 60.0),
            headers={"Accept": "*/*"},
        ) as response:
            declared = response.headers.get("content-length", "")
            size = int(declared) if declared.isdigit() else None
            if size is not None and size > max_bytes:
                raise too_large(path, max_bytes, size)
            return await self._core.read_capped(response, path, max_bytes)

    # --- usage and webhooks ----------------------------------------------------------------

    async def usage(self, start: datetime | None = None, end: datetime | None = None) -> Usage:
        """GB-hours for the org between `start` and `end` (naive times are taken as UTC)."""
        params = {
            name: _utc_text(moment)
            for name, moment in (("start", start), ("end", end))
            if moment is not None
        }
        return await self._model(Usage.from_json, "GET", "/v1/usage", params=params)

    async def list_webhooks(self) -> list[Webhook]:
        return await self._list(Webhook.from_json, "webhooks", "webhook list", "/v1/webhooks")

    async def create_webhook(self, url: str, events: Sequence[str]) -> CreatedWebhook:
        body = {"url": url, "events": list(events)}
        return await self._model(CreatedWebhook.from_json, "POST", "/v1/webhooks", json=body)

    async def delete_webhook(self, webhook_id: str) -> None:
        await self._core.call(
            "DELETE",
            f"/v1/webhooks/{quote(webhook_id, safe='')}",
            subject=f"webhook {webhook_id[:8]}",
        )

    async def list_deliveries(self, webhook_id: str) -> list[Delivery]:
        return await self._list(
            Delivery.from_json,
            "deliveries",
            "delivery list",
            f"/v1/webhooks/{quote(webhook_id, safe='')}/deliveries",
            subject=f"webhook {webhook_id[:8]}",
        )

    # --- terminal --------------------------------------------------------------------------

    def terminal_url(self, computer_id: str) -> str:
        """The WebSocket URL of a computer's terminal, without the key or size."""
        parts = urlsplit(self.base_url)
        scheme = {"https": "wss", "http": "ws"}.get(parts.scheme, parts.scheme)
        path = f"{parts.path.rstrip('/')}{self._computer(computer_id)}/terminal"
        return urlunsplit((scheme, parts.netloc, path, "", ""))

    def terminal(self, computer_id: str, *, cols: int = 80, rows: int = 24) -> TerminalChannel:
        """A terminal channel to the computer's shell (not yet connected: call `connect()`)."""
        if not self.api_key:
            raise Unauthorized("no API key is set: sign in first", status=401, code="no_key")
        return TerminalChannel(
            self.terminal_url(computer_id),
            self.api_key,
            cols=cols,
            rows=rows,
            connect_timeout=self.timeout,
            ssl_context=tls_context() if self._verify else unverified_tls(),
        )
