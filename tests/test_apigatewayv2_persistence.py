"""HTTP APIs survive a kill -9: management state, deployments and locally given JWKS."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import make_client
from test_apigatewayv2_auth import AUDIENCE, Issuer
from test_apigatewayv2_support import ECHO, function, send, url

from cloudlet.testing import CloudletServer


def test_apis_survive_kill_9(tmp_path: Path) -> None:
    # A second issuer's keys come from the file CLOUDLET_JWKS_FILE names.
    from_file = Issuer("https://issuer.file.invalid", kind="EC")
    jwks_file = tmp_path / "jwks.json"
    jwks_file.write_text(json.dumps({from_file.issuer: {"keys": [from_file.jwk]}}))
    server = CloudletServer(
        data_dir=tmp_path / "data", ephemeral=False, env={"CLOUDLET_JWKS_FILE": str(jwks_file)}
    )
    server.start()
    try:
        apigw = make_client("apigatewayv2", server.endpoint_url)
        arn = function(make_client("lambda", server.endpoint_url), ECHO)
        api_id = apigw.create_api(Name="durable", ProtocolType="HTTP", Tags={"k": "v"})["ApiId"]
        # The key set is given once the HTTP API service is in use (see docs/apigateway.md).
        issuer = Issuer("https://issuer.persist.invalid")
        body = json.dumps({"issuer": issuer.issuer, "keys": [issuer.jwk]}).encode()
        assert send(server.endpoint_url, "/_apigatewayv2/jwks", "PUT", body).status == 200
        authorizer = apigw.create_authorizer(
            ApiId=api_id,
            AuthorizerType="JWT",
            Name="jwt",
            IdentitySource=["$request.header.Authorization"],
            JwtConfiguration={"Issuer": issuer.issuer, "Audience": [AUDIENCE]},
        )["AuthorizerId"]
        integration = apigw.create_integration(
            ApiId=api_id,
            IntegrationType="AWS_PROXY",
            IntegrationUri=arn,
            PayloadFormatVersion="2.0",
        )["IntegrationId"]
        apigw.create_route(
            ApiId=api_id,
            RouteKey="GET /secure/{id}",
            Target=f"integrations/{integration}",
            AuthorizationType="JWT",
            AuthorizerId=authorizer,
        )
        file_authorizer = apigw.create_authorizer(
            ApiId=api_id,
            AuthorizerType="JWT",
            Name="file",
            IdentitySource=["$request.header.Authorization"],
            JwtConfiguration={"Issuer": from_file.issuer, "Audience": [AUDIENCE]},
        )["AuthorizerId"]
        apigw.create_route(
            ApiId=api_id,
            RouteKey="GET /file",
            Target=f"integrations/{integration}",
            AuthorizationType="JWT",
            AuthorizerId=file_authorizer,
        )
        apigw.create_stage(ApiId=api_id, StageName="live")
        apigw.create_deployment(ApiId=api_id, StageName="live")

        server.kill()
        server.start()

        apigw = make_client("apigatewayv2", server.endpoint_url)
        assert apigw.get_api(ApiId=api_id)["Tags"] == {"k": "v"}
        assert sorted(r["RouteKey"] for r in apigw.get_routes(ApiId=api_id)["Items"]) == [
            "GET /file",
            "GET /secure/{id}",
        ]
        headers = {"Authorization": f"Bearer {issuer.token()}"}
        reply = send(server.endpoint_url, url(api_id, "live", "/secure/1"), headers=headers)
        assert reply.status == 200, reply.body
        event = reply.json()
        assert event["pathParameters"] == {"id": "1"}
        assert event["requestContext"]["authorizer"]["jwt"]["claims"]["iss"] == issuer.issuer
        assert send(server.endpoint_url, url(api_id, "live", "/secure/1")).status == 401
        headers = {"Authorization": f"Bearer {from_file.token()}"}
        assert (
            send(server.endpoint_url, url(api_id, "live", "/file"), headers=headers).status == 200
        )
        # The file's issuer signs nothing for the other authorizer.
        assert (
            send(server.endpoint_url, url(api_id, "live", "/secure/2"), headers=headers).status
            == 401
        )
    finally:
        server.stop()
