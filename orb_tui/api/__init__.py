"""The ORB API client: models, the error tree, OrbClient (HTTP) and TerminalChannel (WebSocket)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from orb_tui.api.errors import (
    ApiError,
    BadRequest,
    Conflict,
    ConnectError,
    FileTooLarge,
    Forbidden,
    NotFound,
    OrbError,
    ProtocolError,
    RateLimited,
    ServerError,
    TerminalClosed,
    TerminalClosedError,
    Timeout,
    TooLarge,
    TransportError,
    Unauthorized,
    ValidationFailed,
)
from orb_tui.api.models import (
    Agent,
    AgentState,
    ApiKey,
    Build,
    BuildStep,
    Computer,
    ComputerList,
    ConfigSummary,
    ConfigUpload,
    CreatedKey,
    CreatedWebhook,
    DailyUsage,
    Delivery,
    Demoted,
    Deployment,
    DirListing,
    ExecResult,
    FileEntry,
    LoginToken,
    PortMapping,
    Promoted,
    Registration,
    Usage,
    Webhook,
)

if TYPE_CHECKING:
    from orb_tui.api.client import OrbClient
    from orb_tui.api.terminal import TerminalChannel

__all__ = [
    "Agent",
    "AgentState",
    "ApiError",
    "ApiKey",
    "BadRequest",
    "Build",
    "BuildStep",
    "Computer",
    "ComputerList",
    "ConfigSummary",
    "ConfigUpload",
    "Conflict",
    "ConnectError",
    "CreatedKey",
    "CreatedWebhook",
    "DailyUsage",
    "Delivery",
    "Demoted",
    "Deployment",
    "DirListing",
    "ExecResult",
    "FileEntry",
    "FileTooLarge",
    "Forbidden",
    "LoginToken",
    "NotFound",
    "OrbClient",
    "OrbError",
    "PortMapping",
    "Promoted",
    "ProtocolError",
    "RateLimited",
    "Registration",
    "ServerError",
    "TerminalChannel",
    "TerminalClosed",
    "TerminalClosedError",
    "Timeout",
    "TooLarge",
    "TransportError",
    "Unauthorized",
    "Usage",
    "ValidationFailed",
    "Webhook",
]


def __getattr__(name: str) -> object:
    # httpx and websockets cost ~0.3 s to import; load them only when the client is used.
    if name == "OrbClient":
        from orb_tui.api.client import OrbClient

        return OrbClient
    if name == "TerminalChannel":
        from orb_tui.api.terminal import TerminalChannel

        return TerminalChannel
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
