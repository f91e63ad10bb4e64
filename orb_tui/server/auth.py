"""Credentials: register keys, `orb_` keys (stored as SHA-256 hashes) and HS256 login tokens."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from orb_tui.server.records import KeyRow
from orb_tui.server.store import Store

TOKEN_LIFETIME = 86400
ORG_KEY_PREFIX = "orb_"


def new_register_key() -> str:
    """A 43-character url-safe key, the one `register` hands out."""
    return secrets.token_urlsafe(32)


def new_org_key() -> str:
    """An `orb_` key for `POST /v1/keys`."""
    return ORG_KEY_PREFIX + secrets.token_urlsafe(32)


def hash_key(key: str) -> str:
    """The SHA-256 hex digest a key is stored as."""
    return hashlib.sha256(key.encode()).hexdigest()


def key_prefix(key: str) -> str:
    """The first 8 characters of a key: enough to recognise it, too few to use it."""
    return key[:8]


def load_secret(state_dir: Path) -> bytes:
    """The per-install signing secret, created (mode 0600) on first use."""
    path = state_dir / "jwt.secret"
    try:
        return bytes.fromhex(path.read_text().strip())
    except (FileNotFoundError, ValueError):
        secret = secrets.token_bytes(32)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secret.hex())
        return secret


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


_HEADER = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())


def issue_token(secret: bytes, org_id: str, key_id: str, now: float | None = None) -> str:
    """An HS256 JWT for `org_id`, valid `TOKEN_LIFETIME` seconds, tied to the key that asked."""
    issued = int(time.time() if now is None else now)
    claims = {"sub": org_id, "kid": key_id, "iat": issued, "exp": issued + TOKEN_LIFETIME}
    payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
    signing_input = f"{_HEADER}.{payload}"
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


def verify_token(secret: bytes, token: str, now: float | None = None) -> dict[str, object] | None:
    """The claims of a valid, unexpired HS256 token signed with `secret`; None otherwise."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        header = json.loads(_unb64(parts[0]))
        claims = json.loads(_unb64(parts[1]))
        signature = _unb64(parts[2])
    except (ValueError, UnicodeDecodeError):
        return None
    expected = hmac.new(secret, f"{parts[0]}.{parts[1]}".encode(), hashlib.sha256).digest()
    if not hmac.compare_digest(signature, expected) or not isinstance(header, dict):
        return None
    if header.get("alg") != "HS256" or not isinstance(claims, dict):
        return None
    exp = claims.get("exp")
    if not isinstance(exp, int) or exp <= (time.time() if now is None else now):
        return None
    return claims


@dataclass
class Authenticator:
    """Turns a Bearer credential into an org id."""

    store: Store
    secret: bytes

    def key_for(self, api_key: str) -> KeyRow | None:
        """The live key row for a register or `orb_` key."""
        return self.store.key_by_hash(hash_key(api_key))

    def org_for(self, credential: str | None) -> str | None:
        """The org a register key, `orb_` key or login token belongs to; None if it is not valid."""
        if not credential:
            return None
        if credential.count(".") == 2:
            claims = verify_token(self.secret, credential)
            if claims is None:
                return None
            org_id, key_id = claims.get("sub"), claims.get("kid")
            if not isinstance(org_id, str) or not isinstance(key_id, str):
                return None
            return org_id if self.store.key_live(key_id, org_id) else None
        key = self.key_for(credential)
        return None if key is None else key.org_id


def bearer(authorization: str | None) -> str | None:
    """The credential in an `Authorization: Bearer X` header."""
    if not authorization:
        return None
    scheme, _, value = authorization.partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None
