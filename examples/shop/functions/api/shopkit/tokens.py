"""Signed bearer tokens (JWT, HS256) with the standard library only.

auth-api issues them at login and products-api checks them; both read the key from
TOKEN_SECRET, which the app file sets for both functions.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import time
from typing import Any

from shopkit.http import HttpError

TTL_SECONDS = 3600


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _secret() -> bytes:
    return os.environ["TOKEN_SECRET"].encode()


def issue(user_id: str, email: str, now: float | None = None) -> str:
    issued = int(now if now is not None else time.time())
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    claims = {"sub": user_id, "email": email, "iat": issued, "exp": issued + TTL_SECONDS}
    payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
    signature = hmac.new(_secret(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64(signature)}"


def verify(token: str | None) -> dict[str, Any]:
    """The token's claims; 401 when it is missing, forged, malformed or expired."""
    if not token:
        raise HttpError(401, "missing bearer token", {"www-authenticate": "Bearer"})
    try:
        header, payload, signature = token.split(".")
        expected = hmac.new(_secret(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(expected, _unb64(signature)):
            raise ValueError("bad signature")
        if json.loads(_unb64(header)).get("alg") != "HS256":
            raise ValueError("bad algorithm")
        claims = json.loads(_unb64(payload))
        if not isinstance(claims, dict) or int(claims["exp"]) < time.time():
            raise ValueError("expired")
    except (ValueError, KeyError, TypeError):
        raise HttpError(401, "invalid token", {"www-authenticate": "Bearer"}) from None
    return claims
