"""Org-wide routes: register, login, keys, webhooks and usage."""

from __future__ import annotations

import secrets
import time
from typing import Any

from fastapi import APIRouter

from orb_tui.server import answers as a
from orb_tui.server import auth
from orb_tui.server.deps import OrgId
from orb_tui.server.errors import conflict, invalid, not_found, unauthorized
from orb_tui.server.records import Duplicate
from orb_tui.server.schemas import KeyBody, LoginBody, RegisterBody, WebhookBody
from orb_tui.server.state import ServerState
from orb_tui.server.timefmt import iso, parse_iso
from orb_tui.server.usage import DAY, DEFAULT_WINDOW, compute_usage
from orb_tui.server.views import delivery_json, key_json, webhook_json

MAX_USAGE_DAYS = 366


def router(state: ServerState) -> APIRouter:
    """The org-wide routes."""
    api = APIRouter()
    store = state.store

    @api.post("/api/v1/auth/register", status_code=201, tags=["auth"],
              **a.documented(a.Registered, 400, 409, 413, 422, status=201))  # fmt: skip
    def register(body: RegisterBody) -> dict[str, Any]:
        key = auth.new_register_key()
        try:
            org_id, _ = store.create_org(
                body.email.lower(), auth.hash_key(key), auth.key_prefix(key)
            )
        except Duplicate:
            raise conflict(f"{body.email} is already registered; log in with its key") from None
        return {"tenant_id": org_id, "api_key": key}

    @api.post("/api/v1/auth/login", tags=["auth"], **a.documented(a.Token, 400, 401, 413, 422))
    def login(body: LoginBody) -> dict[str, Any]:
        key = state.auth.key_for(body.api_key)
        if key is None:
            raise unauthorized("the API key is wrong or was revoked")
        token = auth.issue_token(state.auth.secret, key.org_id, key.id)
        return {"token": token, "expires_in": auth.TOKEN_LIFETIME}

    @api.post("/v1/keys", status_code=201, tags=["keys"],
              **a.documented(a.KeyCreated, 400, 401, 413, 422, status=201))  # fmt: skip
    def create_key(body: KeyBody, org_id: OrgId) -> dict[str, Any]:
        secret = auth.new_org_key()
        row = store.add_key(org_id, body.name, auth.hash_key(secret), auth.key_prefix(secret))
        return {**key_json(row), "api_key": secret}

    @api.get("/v1/keys", tags=["keys"], **a.documented(a.KeyList, 401))
    def list_keys(org_id: OrgId) -> dict[str, Any]:
        return {"keys": [key_json(row) for row in store.list_keys(org_id)]}

    @api.delete("/v1/keys/{key_id}", tags=["keys"], **a.documented(a.KeyRevoked, 401, 404, 413))
    def revoke_key(key_id: str, org_id: OrgId) -> dict[str, Any]:
        if not store.revoke_key(org_id, key_id):
            raise not_found("key", key_id[:36])
        return {"key_id": key_id, "revoked": True}

    @api.post("/v1/webhooks", status_code=201, tags=["webhooks"],
              **a.documented(a.WebhookCreated, 400, 401, 413, 422, status=201))  # fmt: skip
    def create_webhook(body: WebhookBody, org_id: OrgId) -> dict[str, Any]:
        row = store.add_webhook(org_id, body.url, body.events, secrets.token_hex(32))
        return {**webhook_json(row), "secret": row.secret}

    @api.get("/v1/webhooks", tags=["webhooks"], **a.documented(a.WebhookList, 401))
    def list_webhooks(org_id: OrgId) -> dict[str, Any]:
        return {"webhooks": [webhook_json(row) for row in store.list_webhooks(org_id)]}

    @api.delete("/v1/webhooks/{webhook_id}", tags=["webhooks"],
                **a.documented(a.Deleted, 401, 404, 413))  # fmt: skip
    def delete_webhook(webhook_id: str, org_id: OrgId) -> dict[str, Any]:
        if not store.delete_webhook(org_id, webhook_id):
            raise not_found("webhook", webhook_id[:36])
        return {"id": webhook_id, "deleted": True}

    @api.get("/v1/webhooks/{webhook_id}/deliveries", tags=["webhooks"],
             **a.documented(a.DeliveryList, 401, 404))  # fmt: skip
    def list_deliveries(webhook_id: str, org_id: OrgId) -> dict[str, Any]:
        if store.get_webhook(org_id, webhook_id) is None:
            raise not_found("webhook", webhook_id[:36])
        return {"deliveries": [delivery_json(row) for row in store.list_deliveries(webhook_id)]}

    @api.get("/v1/usage", tags=["usage"], **a.documented(a.Usage, 401, 422))
    def usage(org_id: OrgId, start: str | None = None, end: str | None = None) -> dict[str, Any]:
        hi = _time_param("end", end)
        hi = time.time() if hi is None else hi
        lo = _time_param("start", start)
        lo = hi - DEFAULT_WINDOW if lo is None else lo
        if hi <= lo:
            raise invalid("end", f"must be after start ({iso(lo)})")
        if hi - lo > MAX_USAGE_DAYS * DAY:
            raise invalid("start", f"the window may span at most {MAX_USAGE_DAYS} days")
        return compute_usage(store, org_id, lo, hi)

    return api


def _time_param(name: str, value: str | None) -> float | None:
    if value is None or not value.strip():
        return None
    try:
        return parse_iso(value)
    except ValueError:
        raise invalid(
            name, f"{value!r} is not an ISO 8601 time like 2026-11-28T00:00:00Z"
        ) from None
