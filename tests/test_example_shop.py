"""examples/shop end to end: deploy seed 000's system to a local cloud with the deployer,
use it over HTTP like its users would, watch the worker and its DLQ, redeploy, change a
handler, destroy.

The tests run in order on one deploy (a copy of the example in a temporary folder, in
a stage of its own on the session's server), as one user session would.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import make_client, raw_request

from cloudlet.app import load
from cloudlet.deploy import Outputs, Plan, Target, apply, destroy, plan

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "shop"
APP = "shop"
FUNCTIONS = ("auth-api", "products-api", "email-worker")


def wait_for(condition: Callable[[], Any], timeout: float = 60, what: str = "") -> Any:
    """Poll until `condition()` is truthy; return its value."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or condition}")
        time.sleep(0.1)


class Shop:
    """One deployed copy of the example and the clients that look at it."""

    def __init__(self, folder: Path, endpoint: str, stage: str) -> None:
        self.folder = folder
        self.endpoint = endpoint
        self.stage = stage
        self.prefix = f"{APP}-{stage}-"
        self.target = Target(endpoint)
        self.outputs: Outputs | None = None
        self.clients = {
            s: make_client(s, endpoint) for s in ("lambda", "sqs", "dynamodb", "apigateway", "iam")
        }

    def plan(self) -> Plan:
        return plan(load(self.folder), self.stage, self.target)

    def deploy(self) -> Plan:
        planned = self.plan()
        self.outputs = apply(planned)
        return planned

    @property
    def url(self) -> str:
        assert self.outputs is not None
        return self.outputs.values["api_url"].rstrip("/")

    def call(
        self, method: str, path: str, body: Any = None, token: str | None = None
    ) -> tuple[int, Any]:
        headers = {"content-type": "application/json"}
        if token:
            headers["authorization"] = f"Bearer {token}"
        data = b"" if body is None else json.dumps(body).encode()
        response = raw_request(self.url + path, data, headers, method=method)
        return response.status_code, json.loads(response.text) if response.text else None

    def function(self, logical: str) -> dict[str, Any]:
        found: dict[str, Any] = self.clients["lambda"].get_function_configuration(
            FunctionName=self.prefix + logical
        )
        return found

    def sends_to(self, address: str) -> list[dict[str, Any]]:
        """The mock email provider's records of emails to `address`."""
        assert self.outputs is not None
        table = self.outputs.values["sent_emails_table"]
        items: list[dict[str, Any]] = []
        pages = self.clients["dynamodb"].get_paginator("scan").paginate(TableName=table)
        for page in pages:
            items += [i for i in page["Items"] if i["to"]["S"] == address]
        return items

    def dead_letters(self) -> list[dict[str, Any]]:
        """Bodies of the messages in emails-dlq (received, and left to reappear)."""
        assert self.outputs is not None
        found = self.clients["sqs"].receive_message(
            QueueUrl=self.outputs.values["emails_dlq_url"],
            MaxNumberOfMessages=10,
            VisibilityTimeout=0,
        )
        return found.get("Messages", [])


@pytest.fixture(scope="module")
def shop(endpoint: str, tmp_path_factory: pytest.TempPathFactory) -> Shop:
    folder = tmp_path_factory.mktemp("example") / "shop"
    shutil.copytree(EXAMPLE, folder, ignore=shutil.ignore_patterns(".cloudlet", "__pycache__"))
    deployed = Shop(folder, endpoint, stage="e2e" + uuid.uuid4().hex[:6])
    first = deployed.deploy()
    assert {c.action for c in first.changes} == {"create"}
    return deployed


@pytest.fixture(scope="module")
def people() -> dict[str, str]:
    tag = uuid.uuid4().hex[:8]
    return {"alice": f"alice-{tag}@example.com", "poison": f"poison-{tag}@example.com"}


def test_deploy_writes_outputs_next_to_the_app(shop: Shop) -> None:
    written = json.loads((shop.folder / ".cloudlet" / "outputs" / f"{shop.stage}.json").read_text())

    assert written["outputs"]["api_url"] == shop.url
    assert written["outputs"]["sent_emails_table"] == shop.prefix + "sent-emails"
    for name in FUNCTIONS:
        assert shop.function(name)["State"] == "Active"


def test_the_prefix_itself_reaches_its_function(shop: Shop) -> None:
    # ANY /auth as well as ANY /auth/{proxy+}: {proxy+} matches no empty path (seed 000).
    assert shop.call("GET", "/auth") == (
        200,
        {
            "service": "auth-api",
            "routes": ["POST /auth/signup", "POST /auth/login", "GET /auth/me"],
        },
    )
    status, body = shop.call("GET", "/products")
    assert status == 200 and isinstance(body["products"], list)


def test_signup_validates_input(shop: Shop) -> None:
    assert shop.call(
        "POST", "/auth/signup", {"email": "not-an-address", "password": "long-enough"}
    ) == (
        400,
        {"message": "email must be a valid address"},
    )
    assert shop.call(
        "POST", "/auth/signup", {"email": "short@example.com", "password": "2short"}
    ) == (
        400,
        {"message": "password must be 8 to 128 characters"},
    )
    assert shop.call("POST", "/auth/signup", [1, 2]) == (
        400,
        {"message": "body must be a JSON object"},
    )
    status, _ = shop.call("POST", "/auth/signup")
    assert status == 400
    assert shop.call("GET", "/auth/signup") == (405, {"message": "method not allowed"})
    assert shop.call("POST", "/auth/nowhere", {}) == (404, {"message": "not found"})


def test_signup_login_and_the_catalogue(shop: Shop, people: dict[str, str]) -> None:
    alice = people["alice"]
    status, created = shop.call(
        "POST", "/auth/signup", {"email": alice.upper(), "password": "hunter22hunter"}
    )
    assert status == 201 and created["email"] == alice
    assert shop.call("POST", "/auth/signup", {"email": alice, "password": "another-password"}) == (
        409,
        {"message": "email already registered"},
    )
    assert shop.call("POST", "/auth/login", {"email": alice, "password": "wrong-password"}) == (
        401,
        {"message": "wrong email or password"},
    )
    status, login = shop.call("POST", "/auth/login", {"email": alice, "password": "hunter22hunter"})
    assert status == 200
    token = login["token"]
    status, me = shop.call("GET", "/auth/me", token=token)
    assert status == 200 and me["userId"] == created["userId"] and me["email"] == alice
    assert shop.call("GET", "/auth/me", token=token + "x")[0] == 401

    mug = {"name": "Mug", "category": "kitchen", "price": 9.5}
    assert shop.call("POST", "/products", mug) == (401, {"message": "missing bearer token"})
    assert shop.call("POST", "/products", {**mug, "price": -1}, token)[0] == 400
    status, product = shop.call("POST", "/products", mug, token)
    assert status == 201 and product["createdBy"] == created["userId"]
    lamp = {"name": "Lamp", "category": "living", "price": 30}
    assert shop.call("POST", "/products", lamp, token)[0] == 201

    status, kitchen = shop.call("GET", "/products?category=kitchen")
    assert status == 200 and [p["name"] for p in kitchen["products"]] == ["Mug"]
    status, everything = shop.call("GET", "/products")
    assert [p["name"] for p in everything["products"]] == ["Lamp", "Mug"]
    assert shop.call("GET", f"/products/{product['productId']}") == (200, product)
    assert shop.call("GET", "/products/no-such-product") == (404, {"message": "product not found"})


def test_welcome_email_is_sent_once_and_poison_goes_to_the_dlq(
    shop: Shop, people: dict[str, str]
) -> None:
    poison = people["poison"]
    assert (
        shop.call("POST", "/auth/signup", {"email": poison, "password": "hunter22hunter"})[0] == 201
    )
    assert shop.outputs is not None
    queue_url = shop.outputs.resources["queue:emails-queue"]["url"]
    shop.clients["sqs"].send_message(QueueUrl=queue_url, MessageBody="{not json")

    sent = wait_for(lambda: shop.sends_to(people["alice"]), what="alice's welcome email")
    assert sent[0]["subject"]["S"] == "Welcome to the shop"

    def both_dead() -> list[dict[str, Any]] | None:
        dead = shop.dead_letters()
        return dead if len(dead) == 2 else None

    dead = wait_for(both_dead, timeout=90, what="the poisoned messages in the DLQ")
    bodies = {m["Body"] for m in dead}
    assert "{not json" in bodies
    assert [json.loads(b)["email"] for b in bodies - {"{not json"}] == [poison]
    # Never sent; alice's email went exactly once, though her message shared the queue
    # (and maybe a batch) with failing ones that were received again and again.
    assert shop.sends_to(poison) == []
    assert len(shop.sends_to(people["alice"])) == 1
    attributes = shop.clients["sqs"].get_queue_attributes(
        QueueUrl=queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    assert attributes == {
        "ApproximateNumberOfMessages": "0",
        "ApproximateNumberOfMessagesNotVisible": "0",
    }


def _revisions(shop: Shop) -> dict[str, str]:
    return {name: shop.function(name)["RevisionId"] for name in FUNCTIONS}


def _deployments(shop: Shop) -> int:
    api_id = shop.outputs.resources["rest_api:shop-api"]["id"]  # type: ignore[union-attr]
    return len(shop.clients["apigateway"].get_deployments(restApiId=api_id)["items"])


def test_redeploy_without_changes_does_nothing(shop: Shop) -> None:
    before, deployments = _revisions(shop), _deployments(shop)

    again = shop.plan()
    assert again.pending == []
    shop.outputs = apply(again)

    # And as a user runs it: the command says so.
    command = [sys.executable, "-m", "cloudlet", "deploy", str(shop.folder), "--yes"]
    where = ["--endpoint", shop.endpoint, "--stage", shop.stage]
    done = subprocess.run([*command, *where], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "no changes" in done.stdout

    assert _revisions(shop) == before
    assert _deployments(shop) == deployments


def test_changed_handler_updates_only_that_function(shop: Shop) -> None:
    before = {name: shop.function(name) for name in FUNCTIONS}
    handler = shop.folder / "functions" / "email_worker" / "app.py"
    handler.write_text(handler.read_text().replace('"Welcome to the shop"', '"Welcome aboard"'))

    changed = shop.deploy()

    assert [(c.kind, c.logical, c.action) for c in changed.pending] == [
        ("function", "email-worker", "update")
    ]
    after = {name: shop.function(name) for name in FUNCTIONS}
    assert after["email-worker"]["CodeSha256"] != before["email-worker"]["CodeSha256"]
    assert after["email-worker"]["FunctionArn"] == before["email-worker"]["FunctionArn"]
    for name in ("auth-api", "products-api"):
        assert after[name]["RevisionId"] == before[name]["RevisionId"]
    # The next sign-up's email comes from the new code.
    bob = f"bob-{uuid.uuid4().hex[:8]}@example.com"
    assert shop.call("POST", "/auth/signup", {"email": bob, "password": "hunter22hunter"})[0] == 201
    sent = wait_for(lambda: shop.sends_to(bob), what="bob's welcome email")
    assert [s["subject"]["S"] for s in sent] == ["Welcome aboard"]


def test_destroy_leaves_nothing(shop: Shop) -> None:
    assert shop.outputs is not None
    queue_arn = shop.outputs.resources["queue:emails-queue"]["arn"]

    destroyed = destroy(APP, shop.stage, shop.target)

    assert {(c.kind, c.logical) for c in destroyed} >= {
        ("function", name) for name in FUNCTIONS
    } | {
        ("queue", "emails-queue"),
        ("queue", "emails-dlq"),
        ("table", "users"),
        ("rest_api", "shop-api"),
    }
    lam, sqs, ddb = shop.clients["lambda"], shop.clients["sqs"], shop.clients["dynamodb"]
    functions = lam.get_paginator("list_functions").paginate().build_full_result()["Functions"]
    assert [f["FunctionName"] for f in functions if f["FunctionName"].startswith(shop.prefix)] == []
    # DeleteEventSourceMapping finishes asynchronously (State "Deleting", then gone).
    wait_for(
        lambda: (
            lam.list_event_source_mappings(EventSourceArn=queue_arn)["EventSourceMappings"] == []
        ),  # noqa: E501
        timeout=30,
        what="the event source mapping to be deleted",
    )
    assert sqs.list_queues(QueueNamePrefix=shop.prefix).get("QueueUrls", []) == []
    tables = ddb.get_paginator("list_tables").paginate().build_full_result()["TableNames"]
    assert [t for t in tables if t.startswith(shop.prefix)] == []
    apis = shop.clients["apigateway"].get_rest_apis(limit=500)["items"]
    assert [a["name"] for a in apis if a["name"].startswith(shop.prefix)] == []
    roles = shop.clients["iam"].list_roles(PathPrefix=f"/cloudlet/{APP}/{shop.stage}/")["Roles"]
    assert roles == []
    # Destroying again finds nothing to delete.
    assert destroy(APP, shop.stage, shop.target) == []
