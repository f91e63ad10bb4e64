"""Route helpers shared by the routers: the caller's org and the computer it names."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from orb_tui.server.auth import bearer
from orb_tui.server.errors import not_found, unauthorized
from orb_tui.server.records import ComputerRow
from orb_tui.server.state import ServerState


def server_state(request: Request) -> ServerState:
    """The `ServerState` the app was created with."""
    state: ServerState = request.app.state.orb
    return state


def require_org(request: Request) -> str:
    """The org id of the request's Bearer credential; 401 when there is none or it is not valid."""
    org_id = server_state(request).auth.org_for(bearer(request.headers.get("authorization")))
    if org_id is None:
        raise unauthorized()
    return org_id


OrgId = Annotated[str, Depends(require_org)]
"""A route parameter holding the caller's org id."""


def computer_or_404(state: ServerState, org_id: str, computer_id: str) -> ComputerRow:
    """The org's live computer `computer_id`; another org's id is a 404 as well."""
    row = state.store.get_computer(org_id, computer_id)
    if row is None:
        raise not_found("computer", computer_id[:36])
    return row
