"""Request bodies, validated by pydantic (imported only when the server starts)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictInt, field_validator

from orb_tui.server.webhooks import EVENT_TYPES

NAME_PATTERN = r"^[A-Za-z0-9._-]{1,63}$"


class _Body(BaseModel):
    model_config = ConfigDict(extra="ignore")


class RegisterBody(_Body):
    """`POST /api/v1/auth/register`."""

    email: Annotated[str, Field(min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")]


class LoginBody(_Body):
    """`POST /api/v1/auth/login`."""

    api_key: Annotated[str, Field(min_length=1, max_length=200)]


class KeyBody(_Body):
    """`POST /v1/keys`."""

    name: Annotated[str, Field(min_length=1, max_length=100)]


class ComputerBody(_Body):
    """`POST /v1/computers`."""

    name: Annotated[str, Field(pattern=NAME_PATTERN)]
    runtime_mb: Annotated[StrictInt, Field(ge=64, le=65536)] = 512
    disk_mb: Annotated[StrictInt, Field(ge=64, le=1048576)] = 1024


class PortBody(_Body):
    """`POST .../agents/demote` and `.../promote`."""

    port: Annotated[StrictInt, Field(ge=1, le=65535)]


class ExecBody(_Body):
    """`POST /v1/computers/{id}/exec`."""

    command: Annotated[str, Field(min_length=1, max_length=128 * 1024)]
    timeout: Annotated[float, Field(ge=1, le=600)] = 30.0

    @field_validator("command")
    @classmethod
    def _no_nul(cls, value: str) -> str:
        # an argv cannot carry a NUL byte: the spawn would fail with a ValueError, a 500
        if "\x00" in value:
            raise ValueError("must not contain a NUL character")
        return value


class WebhookBody(_Body):
    """`POST /v1/webhooks`."""

    url: Annotated[str, Field(min_length=1, max_length=2048)]
    events: Annotated[list[str], Field(min_length=1, max_length=len(EVENT_TYPES))]

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        from urllib.parse import urlsplit

        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an http:// or https:// URL")
        return value

    @field_validator("events")
    @classmethod
    def _known_events(cls, value: list[str]) -> list[str]:
        unknown = [event for event in value if event not in EVENT_TYPES]
        if unknown:
            raise ValueError(f"unknown event {unknown[0]!r}; known: {', '.join(EVENT_TYPES)}")
        return list(dict.fromkeys(value))
