"""HTTP API authorizers: JWT (RS256 and ES256 against a JWKS from the issuer or given
locally) and REQUEST Lambda authorizers (simple and IAM policy responses, caching)."""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from conftest import make_client
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from test_apigatewayv2_support import ECHO, function, send, url

AUDIENCE = "my-client"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _int(value: int) -> str:
    return _b64(value.to_bytes((value.bit_length() + 7) // 8, "big"))


class Issuer:
    """A signing key pair and the JWKS that publishes it."""

    def __init__(self, issuer: str, kind: str = "RSA") -> None:
        self.issuer = issuer
        self.kid = uuid.uuid4().hex[:8]
        self.kind = kind
        if kind == "RSA":
            self.rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            numbers = self.rsa.public_key().public_numbers()
            self.jwk = {"kty": "RSA", "kid": self.kid, "use": "sig", "alg": "RS256",
                        "n": _int(numbers.n), "e": _int(numbers.e)}  # fmt: skip
        else:
            self.ec = ec.generate_private_key(ec.SECP256R1())
            point = self.ec.public_key().public_numbers()
            self.jwk = {"kty": "EC", "kid": self.kid, "crv": "P-256",
                        "x": _b64(point.x.to_bytes(32, "big")),
                        "y": _b64(point.y.to_bytes(32, "big"))}  # fmt: skip

    def token(self, **claims: Any) -> str:
        now = int(time.time())
        body = {"iss": self.issuer, "aud": AUDIENCE, "sub": "user-1", "iat": now,
                "exp": now + 300, **claims}  # fmt: skip
        body = {k: v for k, v in body.items() if v is not None}
        alg = "RS256" if self.kind == "RSA" else "ES256"
        header = {"alg": alg, "typ": "JWT", "kid": self.kid}
        signing = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(body).encode())}"
        if self.kind == "RSA":
            signature = self.rsa.sign(signing.encode(), padding.PKCS1v15(), hashes.SHA256())
        else:
            der = self.ec.sign(signing.encode(), ec.ECDSA(hashes.SHA256()))
            r, s = decode_dss_signature(der)
            signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
        return f"{signing}.{_b64(signature)}"


@pytest.fixture(scope="module")
def apigw(endpoint: str) -> Any:
    return make_client("apigatewayv2", endpoint)


@pytest.fixture(scope="module")
def lam(endpoint: str) -> Any:
    return make_client("lambda", endpoint)


@pytest.fixture(scope="module")
def echo(lam: Any) -> str:
    return function(lam, ECHO)


# -- an OpenID issuer on a local port -------------------------------------------------------


class _IssuerServer(BaseHTTPRequestHandler):
    issuer: Issuer
    fetches: list[str]

    def do_GET(self) -> None:
        base = self.issuer.issuer
        if self.path == "/.well-known/openid-configuration":
            document: Any = {"issuer": base, "jwks_uri": base + "/keys"}
        elif self.path == "/keys":
            document = {"keys": [self.issuer.jwk]}
        else:
            self.send_error(404)
            return
        self.fetches.append(self.path)
        payload = json.dumps(document).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def remote_issuer() -> Iterator[tuple[Issuer, list[str]]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _IssuerServer)
    issuer = Issuer(f"http://127.0.0.1:{server.server_address[1]}")
    fetches: list[str] = []
    _IssuerServer.issuer, _IssuerServer.fetches = issuer, fetches
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield issuer, fetches
    server.shutdown()
    server.server_close()


def _jwt_api(apigw: Any, echo: str, issuer: str, scopes: list[str] | None = None) -> str:
    api_id: str = apigw.create_api(Name="jwt", ProtocolType="HTTP")["ApiId"]
    authorizer = apigw.create_authorizer(
        ApiId=api_id,
        AuthorizerType="JWT",
        Name="jwt",
        IdentitySource=["$request.header.Authorization"],
        JwtConfiguration={"Issuer": issuer, "Audience": [AUDIENCE]},
    )
    assert authorizer["JwtConfiguration"] == {"Issuer": issuer, "Audience": [AUDIENCE]}
    integration = apigw.create_integration(
        ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=echo, PayloadFormatVersion="2.0"
    )["IntegrationId"]
    apigw.create_route(
        ApiId=api_id,
        RouteKey="GET /me",
        Target=f"integrations/{integration}",
        AuthorizationType="JWT",
        AuthorizerId=authorizer["AuthorizerId"],
    )
    apigw.create_route(
        ApiId=api_id,
        RouteKey="GET /admin",
        Target=f"integrations/{integration}",
        AuthorizationType="JWT",
        AuthorizerId=authorizer["AuthorizerId"],
        AuthorizationScopes=scopes or ["admin"],
    )
    apigw.create_route(ApiId=api_id, RouteKey="GET /open", Target=f"integrations/{integration}")
    apigw.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
    return api_id


def _get(endpoint: str, api_id: str, path: str, token: str | None) -> Any:
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    return send(endpoint, url(api_id, "$default", path), headers=headers)


def test_jwt_with_issuer_discovery(
    endpoint: str, apigw: Any, echo: str, remote_issuer: tuple[Issuer, list[str]]
) -> None:
    issuer, fetches = remote_issuer
    api_id = _jwt_api(apigw, echo, issuer.issuer)
    reply = _get(endpoint, api_id, "/me", issuer.token(scope="read write", groups=["a", "b"]))
    assert reply.status == 200, reply.body
    jwt = reply.json()["requestContext"]["authorizer"]["jwt"]
    assert jwt["claims"]["sub"] == "user-1" and jwt["claims"]["iss"] == issuer.issuer
    assert jwt["claims"]["aud"] == AUDIENCE
    assert jwt["claims"]["groups"] == "[a b]"  # claims reach the function as strings
    assert isinstance(jwt["claims"]["exp"], str)
    assert jwt["scopes"] == ["read", "write"]
    assert fetches == ["/.well-known/openid-configuration", "/keys"]
    # The key set is cached: more requests do not fetch it again.
    assert _get(endpoint, api_id, "/me", issuer.token()).status == 200
    assert len(fetches) == 2
    # Routes without authorization need no token.
    assert _get(endpoint, api_id, "/open", None).status == 200


@pytest.mark.parametrize(
    "case",
    ["missing", "expired", "wrong_audience", "wrong_issuer", "not_yet", "bad_signature", "garbage"],
)
def test_jwt_rejections(
    endpoint: str, apigw: Any, echo: str, remote_issuer: tuple[Issuer, list[str]], case: str
) -> None:
    issuer, _ = remote_issuer
    api_id = _jwt_api(apigw, echo, issuer.issuer)
    other = Issuer(issuer.issuer)
    other.kid = issuer.kid  # same key id, another key: the signature does not verify
    tokens = {
        "missing": None,
        "expired": issuer.token(exp=int(time.time()) - 10),
        "wrong_audience": issuer.token(aud="someone-else"),
        "wrong_issuer": issuer.token(iss="https://elsewhere.example"),
        "not_yet": issuer.token(nbf=int(time.time()) + 600),
        "bad_signature": other.token(),
        "garbage": "not.a.jwt",
    }
    reply = _get(endpoint, api_id, "/me", tokens[case])
    assert reply.status == 401, reply.body
    assert reply.json() == {"message": "Unauthorized"}


def test_jwt_client_id_instead_of_audience(
    endpoint: str, apigw: Any, echo: str, remote_issuer: tuple[Issuer, list[str]]
) -> None:
    issuer, _ = remote_issuer
    api_id = _jwt_api(apigw, echo, issuer.issuer)
    token = issuer.token(aud=None, client_id=AUDIENCE)
    assert _get(endpoint, api_id, "/me", token).status == 200
    token = issuer.token(aud=None, client_id="other")
    assert _get(endpoint, api_id, "/me", token).status == 401


def test_jwt_scopes(
    endpoint: str, apigw: Any, echo: str, remote_issuer: tuple[Issuer, list[str]]
) -> None:
    issuer, _ = remote_issuer
    api_id = _jwt_api(apigw, echo, issuer.issuer, scopes=["admin", "superuser"])
    reply = _get(endpoint, api_id, "/admin", issuer.token(scope="read"))
    assert reply.status == 403 and reply.json() == {"message": "Forbidden"}
    assert _get(endpoint, api_id, "/admin", issuer.token()).status == 403
    reply = _get(endpoint, api_id, "/admin", issuer.token(scope="read superuser"))
    assert reply.status == 200
    assert reply.json()["requestContext"]["authorizer"]["jwt"]["scopes"] == ["read", "superuser"]
    # An `scp` list (Okta, Entra ID) counts as well.
    assert _get(endpoint, api_id, "/admin", issuer.token(scp=["admin"])).status == 200


def test_jwt_with_local_jwks(endpoint: str, apigw: Any, echo: str) -> None:
    # An issuer nobody can reach: its keys are given to cloudlet directly.
    issuer = Issuer("https://login.unreachable.invalid/tenant", kind="EC")
    api_id = _jwt_api(apigw, echo, issuer.issuer)
    assert _get(endpoint, api_id, "/me", issuer.token()).status == 401
    body = json.dumps({"issuer": issuer.issuer, "keys": [issuer.jwk]}).encode()
    reply = send(endpoint, "/_apigatewayv2/jwks", "PUT", body, {"content-type": "application/json"})
    assert reply.status == 200 and reply.json() == {"issuer": issuer.issuer, "keys": 1}
    reply = _get(endpoint, api_id, "/me", issuer.token(sub="ec-user"))
    assert reply.status == 200
    assert reply.json()["requestContext"]["authorizer"]["jwt"]["claims"]["sub"] == "ec-user"
    bad = send(endpoint, "/_apigatewayv2/jwks", "PUT", b'{"issuer": "x", "keys": [{}]}')
    assert bad.status == 400
    gone = json.dumps({"issuer": issuer.issuer}).encode()
    assert send(endpoint, "/_apigatewayv2/jwks", "DELETE", gone).status == 200
    assert _get(endpoint, api_id, "/me", issuer.token()).status == 401


# -- Lambda (REQUEST) authorizers ---------------------------------------------------------------

SIMPLE_AUTHORIZER = """
import uuid
def handler(event, context):
    token = event["headers"].get("authorization", "")
    return {"isAuthorized": token.startswith("allow"),
            "context": {"user": token, "invocation": str(uuid.uuid4()),
                        "version": event["version"], "routeArn": event["routeArn"],
                        "identity": ",".join(event["identitySource"])}}
"""

POLICY_AUTHORIZER = """
def handler(event, context):
    effect = "Allow" if event["authorizationToken"] == "allow" else "Deny"
    return {"principalId": "p-1",
            "policyDocument": {"Version": "2012-10-17", "Statement": [
                {"Action": "execute-api:Invoke", "Effect": effect, "Resource": event["methodArn"]}]},
            "context": {"tier": "gold", "type": event["type"]}}
"""

BROKEN_AUTHORIZER = """
def handler(event, context):
    raise ValueError("no")
"""


def _lambda_authorized_api(
    apigw: Any, echo: str, authorizer_arn: str, version: str, simple: bool, ttl: int
) -> str:
    api_id: str = apigw.create_api(Name="lambda-auth", ProtocolType="HTTP")["ApiId"]
    region = "us-east-1"
    uri = (
        f"arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{authorizer_arn}/invocations"
    )
    authorizer = apigw.create_authorizer(
        ApiId=api_id,
        AuthorizerType="REQUEST",
        Name="lambda",
        AuthorizerUri=uri,
        AuthorizerPayloadFormatVersion=version,
        EnableSimpleResponses=simple,
        AuthorizerResultTtlInSeconds=ttl,
        IdentitySource=["$request.header.Authorization"],
    )
    integration = apigw.create_integration(
        ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=echo, PayloadFormatVersion="2.0"
    )["IntegrationId"]
    apigw.create_route(
        ApiId=api_id,
        RouteKey="ANY /{proxy+}",
        Target=f"integrations/{integration}",
        AuthorizationType="CUSTOM",
        AuthorizerId=authorizer["AuthorizerId"],
    )
    apigw.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
    return api_id


def _call(endpoint: str, api_id: str, token: str | None, path: str = "/things") -> Any:
    headers = {} if token is None else {"Authorization": token}
    return send(endpoint, url(api_id, "$default", path), headers=headers)


def test_simple_responses(endpoint: str, apigw: Any, lam: Any, echo: str) -> None:
    arn = function(lam, SIMPLE_AUTHORIZER)
    api_id = _lambda_authorized_api(apigw, echo, arn, "2.0", simple=True, ttl=0)
    reply = _call(endpoint, api_id, "allow-alice")
    assert reply.status == 200, reply.body
    context = reply.json()["requestContext"]["authorizer"]["lambda"]
    assert context["user"] == "allow-alice" and context["version"] == "2.0"
    assert context["identity"] == "allow-alice"
    assert (
        context["routeArn"]
        == f"arn:aws:execute-api:us-east-1:000000000000:{api_id}/$default/GET/things"
    )
    denied = _call(endpoint, api_id, "deny-bob")
    assert denied.status == 403 and denied.json() == {"message": "Forbidden"}
    missing = _call(endpoint, api_id, None)
    assert missing.status == 401 and missing.json() == {"message": "Unauthorized"}
    # Without caching the authorizer runs for every request.
    first = _call(endpoint, api_id, "allow-alice").json()["requestContext"]["authorizer"]
    second = _call(endpoint, api_id, "allow-alice").json()["requestContext"]["authorizer"]
    assert first["lambda"]["invocation"] != second["lambda"]["invocation"]


def test_cached_once_per_ttl_per_identity(endpoint: str, apigw: Any, lam: Any, echo: str) -> None:
    arn = function(lam, SIMPLE_AUTHORIZER)
    api_id = _lambda_authorized_api(apigw, echo, arn, "2.0", simple=True, ttl=2)

    def invocation(token: str, path: str = "/things") -> str:
        reply = _call(endpoint, api_id, token, path)
        assert reply.status == 200, reply.body
        value: str = reply.json()["requestContext"]["authorizer"]["lambda"]["invocation"]
        return value

    alice = invocation("allow-alice")
    # Same identity: the cached answer, whatever the path.
    assert invocation("allow-alice") == alice
    assert invocation("allow-alice", "/elsewhere") == alice
    # Another identity: the authorizer runs for it, once.
    carol = invocation("allow-carol")
    assert carol != alice and invocation("allow-carol") == carol
    # Denials are cached too, and do not mix with allowed identities.
    assert _call(endpoint, api_id, "deny-bob").status == 403
    assert invocation("allow-alice") == alice
    # After the TTL the authorizer runs again.
    deadline = time.monotonic() + 30
    while invocation("allow-alice") == alice:
        assert time.monotonic() < deadline, "the cached answer never expired"
        time.sleep(0.2)
    # ResetAuthorizersCache forgets at once.
    fresh = invocation("allow-alice")
    apigw.reset_authorizers_cache(ApiId=api_id, StageName="$default")
    assert invocation("allow-alice") != fresh


def test_iam_policy_responses(endpoint: str, apigw: Any, lam: Any, echo: str) -> None:
    arn = function(lam, POLICY_AUTHORIZER)
    api_id = _lambda_authorized_api(apigw, echo, arn, "1.0", simple=False, ttl=0)
    reply = _call(endpoint, api_id, "allow")
    assert reply.status == 200, reply.body
    assert reply.json()["requestContext"]["authorizer"]["lambda"] == {
        "tier": "gold",
        "type": "REQUEST",
    }
    assert _call(endpoint, api_id, "deny").status == 403


def test_failing_authorizer(endpoint: str, apigw: Any, lam: Any, echo: str) -> None:
    arn = function(lam, BROKEN_AUTHORIZER)
    api_id = _lambda_authorized_api(apigw, echo, arn, "2.0", simple=True, ttl=0)
    reply = _call(endpoint, api_id, "anything")
    assert reply.status == 500 and reply.json() == {"message": "Internal Server Error"}


IDENTITY_AUTHORIZER = """
def handler(event, context):
    return {"isAuthorized": True, "context": {"identity": "|".join(event["identitySource"])}}
"""


def test_identity_from_query_string_and_stage_variables(
    endpoint: str, apigw: Any, lam: Any, echo: str
) -> None:
    arn = function(lam, IDENTITY_AUTHORIZER)
    api_id = apigw.create_api(Name="identity", ProtocolType="HTTP")["ApiId"]
    authorizer = apigw.create_authorizer(
        ApiId=api_id,
        AuthorizerType="REQUEST",
        Name="ids",
        AuthorizerUri=arn,
        AuthorizerPayloadFormatVersion="2.0",
        EnableSimpleResponses=True,
        AuthorizerResultTtlInSeconds=60,
        IdentitySource=["$request.querystring.token", "$stageVariables.tier", "$context.routeKey"],
    )["AuthorizerId"]
    integration = apigw.create_integration(
        ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=echo, PayloadFormatVersion="2.0"
    )["IntegrationId"]
    apigw.create_route(
        ApiId=api_id,
        RouteKey="GET /q",
        Target=f"integrations/{integration}",
        AuthorizationType="CUSTOM",
        AuthorizerId=authorizer,
    )
    apigw.create_stage(
        ApiId=api_id, StageName="live", AutoDeploy=True, StageVariables={"tier": "gold"}
    )
    reply = send(endpoint, url(api_id, "live", "/q?token=t1"))
    assert reply.status == 200, reply.body
    identity = reply.json()["requestContext"]["authorizer"]["lambda"]["identity"]
    assert identity == "t1|gold|GET /q"
    assert send(endpoint, url(api_id, "live", "/q")).status == 401
    assert send(endpoint, url(api_id, "live", "/q?token=")).status == 401
