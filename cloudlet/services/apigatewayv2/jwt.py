"""JWT authorizers: a token's signature checked against its issuer's JSON Web Key Set,
then its claims (iss, aud or client_id, exp, nbf, iat) and the route's scopes, as AWS
documents for HTTP APIs.

Where the keys come from, in order:
1. a key set given locally for the issuer — `PUT /_apigatewayv2/jwks` with
   `{"issuer": ..., "keys": [...]}` (kept in the database), or the file named by
   `CLOUDLET_JWKS_FILE` (a JSON object `{issuer: {"keys": [...]}}`, read when first
   needed);
2. the issuer itself: `{issuer}/.well-known/openid-configuration` -> `jwks_uri`, fetched
   without blocking the event loop and cached for an hour (fetched again at most every
   10 s when a token names a key id the cached set lacks).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import os
import time
from dataclasses import dataclass
from typing import Any

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from cloudlet import httpclient
from cloudlet.services.apigatewayv2.models import ApiStore

log = logging.getLogger("cloudlet.apigatewayv2")

_CACHE_SECONDS = 3600.0
_REFETCH_SECONDS = 10.0
_LEEWAY = 0  # AWS allows no clock skew beyond its own
_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "RS256": hashes.SHA256, "RS384": hashes.SHA384, "RS512": hashes.SHA512,
    "ES256": hashes.SHA256, "ES384": hashes.SHA384, "ES512": hashes.SHA512,
}  # fmt: skip
_CURVES: dict[str, tuple[ec.EllipticCurve, int]] = {
    "P-256": (ec.SECP256R1(), 32),
    "P-384": (ec.SECP384R1(), 48),
    "P-521": (ec.SECP521R1(), 66),
}

PublicKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey


class InvalidToken(Exception):
    """401: the token is missing, malformed, unsigned by the issuer, or its claims fail."""


class InsufficientScope(Exception):
    """403: a valid token without any of the route's scopes."""


def _b64(data: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))
    except (binascii.Error, ValueError):
        raise InvalidToken("malformed token") from None


def _int(data: str) -> int:
    return int.from_bytes(_b64(data), "big")


def load_key(jwk: dict[str, Any]) -> PublicKey | None:
    """A public key from one JWK (RSA or EC), None if unusable."""
    try:
        if jwk.get("kty") == "RSA":
            return rsa.RSAPublicNumbers(_int(jwk["e"]), _int(jwk["n"])).public_key()
        if jwk.get("kty") == "EC" and jwk.get("crv") in _CURVES:
            curve, _ = _CURVES[jwk["crv"]]
            return ec.EllipticCurvePublicNumbers(_int(jwk["x"]), _int(jwk["y"]), curve).public_key()
    except (KeyError, TypeError, ValueError, InvalidToken):
        return None
    return None


@dataclass
class _KeySet:
    keys: dict[str | None, PublicKey]
    fetched: float


def parse_jwks(document: Any) -> dict[str | None, PublicKey]:
    keys: dict[str | None, PublicKey] = {}
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        return keys
    for jwk in document["keys"]:
        if isinstance(jwk, dict) and jwk.get("use", "sig") == "sig":
            key = load_key(jwk)
            if key is not None:
                keys[jwk.get("kid")] = key
    return keys


class JwtVerifier:
    def __init__(self, store: ApiStore) -> None:
        self.store = store
        self._fetched: dict[str, _KeySet] = {}
        self._pending: dict[str, asyncio.Future[_KeySet]] = {}
        self._file: dict[str, Any] | None = None
        self._failed: dict[str, float] = {}

    def forget(self) -> None:
        self._fetched.clear()
        self._failed.clear()
        self._file = None

    async def verify(self, token: str, issuer: str, audiences: list[str]) -> dict[str, Any]:
        """The token's claims if it is valid for this issuer and audience."""
        pieces = token.split(".")
        if len(pieces) != 3:
            raise InvalidToken("malformed token")
        try:
            header = orjson.loads(_b64(pieces[0]))
            claims = orjson.loads(_b64(pieces[1]))
        except orjson.JSONDecodeError:
            raise InvalidToken("malformed token") from None
        if not isinstance(header, dict) or not isinstance(claims, dict):
            raise InvalidToken("malformed token")
        alg = header.get("alg")
        if alg not in _HASHES:
            raise InvalidToken(f"unsupported algorithm {alg}")
        key = await self._key(issuer, header.get("kid"))
        _check_signature(key, alg, f"{pieces[0]}.{pieces[1]}".encode(), _b64(pieces[2]))
        _check_claims(claims, issuer, audiences)
        return claims

    # -- keys ---------------------------------------------------------------------------

    def _local(self, issuer: str) -> dict[str | None, PublicKey] | None:
        document = self.store.jwks.get(issuer)
        if document is None:
            if self._file is None:
                self._file = _read_file()
            document = self._file.get(issuer)
        return None if document is None else parse_jwks(document)

    async def _key(self, issuer: str, kid: Any) -> PublicKey:
        local = self._local(issuer)
        if local is not None:
            keys = local
        else:
            cached = self._fetched.get(issuer)
            now = time.monotonic()
            stale = cached is None or now - cached.fetched > _CACHE_SECONDS
            missing = cached is not None and kid not in cached.keys
            if stale or (missing and now - cached.fetched > _REFETCH_SECONDS):  # type: ignore[union-attr]
                cached = await self._fetch(issuer)
            assert cached is not None
            keys = cached.keys
        key = keys.get(kid)
        if key is None and kid is None and len(keys) == 1:
            key = next(iter(keys.values()))
        if key is None:
            raise InvalidToken("no key of the issuer matches the token's key id")
        return key

    async def _fetch(self, issuer: str) -> _KeySet:
        """Fetch the issuer's key set once however many requests wait for it."""
        failed_at = self._failed.get(issuer)
        if failed_at is not None and time.monotonic() - failed_at < _REFETCH_SECONDS:
            # An issuer that just failed is not asked again by every request.
            raise InvalidToken("the issuer's keys could not be fetched")
        pending = self._pending.get(issuer)
        if pending is None:
            pending = asyncio.get_running_loop().create_future()
            self._pending[issuer] = pending
            try:
                keys = await _download(issuer)
                result = _KeySet(keys, time.monotonic())
                self._fetched[issuer] = result
                self._failed.pop(issuer, None)
                pending.set_result(result)
            except Exception as error:
                log.warning("JWKS of %s could not be fetched: %s", issuer, error)
                self._failed[issuer] = time.monotonic()
                failed = InvalidToken("the issuer's keys could not be fetched")
                pending.set_exception(failed)
                pending.exception()  # retrieved: waiters get it from their own await
            finally:
                self._pending.pop(issuer, None)
        return await asyncio.shield(pending)


def _read_file() -> dict[str, Any]:
    path = os.environ.get("CLOUDLET_JWKS_FILE")
    if not path:
        return {}
    try:
        with open(path, "rb") as handle:
            document = orjson.loads(handle.read())
    except (OSError, orjson.JSONDecodeError) as error:
        log.warning("CLOUDLET_JWKS_FILE %s is unreadable: %s", path, error)
        return {}
    return document if isinstance(document, dict) else {}


async def _download(issuer: str) -> dict[str | None, PublicKey]:
    url = issuer.rstrip("/") + "/.well-known/openid-configuration"
    status, _, body = await httpclient.request(
        "GET", url, [("Accept", "application/json")], timeout=10
    )
    if status != 200:
        raise httpclient.HttpError(f"{url} answered {status}")
    config = orjson.loads(body)
    jwks_uri = config.get("jwks_uri") if isinstance(config, dict) else None
    if not isinstance(jwks_uri, str):
        raise httpclient.HttpError(f"{url} names no jwks_uri")
    status, _, body = await httpclient.request(
        "GET", jwks_uri, [("Accept", "application/json")], timeout=10
    )
    if status != 200:
        raise httpclient.HttpError(f"{jwks_uri} answered {status}")
    return parse_jwks(orjson.loads(body))


def _check_signature(key: PublicKey, alg: str, signed: bytes, signature: bytes) -> None:
    algorithm = _HASHES[alg]()
    try:
        if alg.startswith("RS"):
            if not isinstance(key, rsa.RSAPublicKey):
                raise InvalidToken("key type does not match the algorithm")
            key.verify(signature, signed, padding.PKCS1v15(), algorithm)
        else:
            if not isinstance(key, ec.EllipticCurvePublicKey):
                raise InvalidToken("key type does not match the algorithm")
            size = (key.curve.key_size + 7) // 8
            if len(signature) != 2 * size:
                raise InvalidToken("malformed signature")
            r = int.from_bytes(signature[:size], "big")
            s = int.from_bytes(signature[size:], "big")
            key.verify(encode_dss_signature(r, s), signed, ec.ECDSA(algorithm))
    except InvalidSignature:
        raise InvalidToken("signature verification failed") from None


def _number(claims: dict[str, Any], name: str) -> float | None:
    value = claims.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidToken(f"the {name} claim is not a number")
    return float(value)


def _check_claims(claims: dict[str, Any], issuer: str, audiences: list[str]) -> None:
    if claims.get("iss") != issuer:
        raise InvalidToken("the token's issuer does not match")
    aud = claims.get("aud")
    if aud is not None:
        given = aud if isinstance(aud, list) else [aud]
        if not any(a in audiences for a in given):
            raise InvalidToken("the token's audience does not match")
    elif claims.get("client_id") not in audiences:
        raise InvalidToken("the token has no audience or client_id that matches")
    now = time.time()
    exp = _number(claims, "exp")
    if exp is None:
        raise InvalidToken("the token has no exp claim")
    if exp + _LEEWAY <= now:
        raise InvalidToken("the token has expired")
    nbf = _number(claims, "nbf")
    if nbf is not None and nbf - _LEEWAY > now:
        raise InvalidToken("the token is not valid yet")
    iat = _number(claims, "iat")
    if iat is not None and iat - _LEEWAY > now:
        raise InvalidToken("the token was issued in the future")


def token_scopes(claims: dict[str, Any]) -> list[str]:
    scope = claims.get("scope", claims.get("scp"))
    if isinstance(scope, str):
        return scope.split()
    if isinstance(scope, list):
        return [s for s in scope if isinstance(s, str)]
    return []


def check_scopes(claims: dict[str, Any], required: list[str]) -> None:
    if required and not set(required) & set(token_scopes(claims)):
        raise InsufficientScope()


def claims_for_event(claims: dict[str, Any]) -> dict[str, str]:
    """HTTP APIs hand claims to the integration as strings: numbers as text, arrays as
    "[a b]", objects as JSON."""
    out: dict[str, str] = {}
    for name, value in claims.items():
        if isinstance(value, str):
            out[name] = value
        elif isinstance(value, bool):
            out[name] = "true" if value else "false"
        elif isinstance(value, (int, float)):
            out[name] = str(value)
        elif isinstance(value, list):
            out[name] = "[" + " ".join(str(v) for v in value) + "]"
        else:
            out[name] = orjson.dumps(value).decode()
    return out
