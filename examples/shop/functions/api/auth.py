"""auth-api: sign up, log in, who am I — behind the REST API at /auth.

Users live in the users table (USERS_TABLE_NAME); an email is claimed by a second item,
`email#<address>`, written in the same transaction as the user, so two sign-ups with
one address cannot both win. A sign-up enqueues `{userId, email}` on emails-queue
(EMAILS_QUEUE_QUEUE_URL) for email-worker to send the welcome email.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
import time
import uuid
from typing import Any

import boto3
from botocore.exceptions import ClientError
from shopkit import tokens
from shopkit.http import HttpError, Request, Router

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}

USERS_TABLE = os.environ["USERS_TABLE_NAME"]
EMAILS_QUEUE_URL = os.environ["EMAILS_QUEUE_QUEUE_URL"]

dynamodb = boto3.client("dynamodb")
sqs = boto3.client("sqs")
router = Router()


def hash_password(password: str, salt: bytes | None = None) -> str:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, **SCRYPT)
    return f"scrypt${salt.hex()}${digest.hex()}"


def check_password(password: str, stored: str) -> bool:
    _, salt, digest = stored.split("$")
    return hmac.compare_digest(hash_password(password, bytes.fromhex(salt)).split("$")[2], digest)


def credentials(request: Request) -> tuple[str, str]:
    body = request.json()
    email, password = body.get("email"), body.get("password")
    if not isinstance(email, str) or len(email) > 254 or not EMAIL.match(email.strip()):
        raise HttpError(400, "email must be a valid address")
    if not isinstance(password, str) or not 8 <= len(password) <= 128:
        raise HttpError(400, "password must be 8 to 128 characters")
    return email.strip().lower(), password


@router.route("GET", "/auth")
def index(request: Request) -> tuple[int, Any]:
    return 200, {
        "service": "auth-api",
        "routes": ["POST /auth/signup", "POST /auth/login", "GET /auth/me"],
    }


@router.route("POST", "/auth/signup")
def signup(request: Request) -> tuple[int, Any]:
    email, password = credentials(request)
    user_id = str(uuid.uuid4())
    user = {
        "userId": {"S": user_id},
        "email": {"S": email},
        "passwordHash": {"S": hash_password(password)},
        "createdAt": {"N": str(int(time.time()))},
    }
    claim = {"userId": {"S": f"email#{email}"}, "ownerId": {"S": user_id}}
    try:
        dynamodb.transact_write_items(
            TransactItems=[
                {
                    "Put": {
                        "TableName": USERS_TABLE,
                        "Item": user,
                        "ConditionExpression": "attribute_not_exists(userId)",
                    }
                },
                {
                    "Put": {
                        "TableName": USERS_TABLE,
                        "Item": claim,
                        "ConditionExpression": "attribute_not_exists(userId)",
                    }
                },
            ]
        )
    except ClientError as error:
        if error.response["Error"]["Code"] == "TransactionCanceledException":
            raise HttpError(409, "email already registered") from None
        raise
    sqs.send_message(
        QueueUrl=EMAILS_QUEUE_URL, MessageBody=json.dumps({"userId": user_id, "email": email})
    )
    return 201, {"userId": user_id, "email": email}


@router.route("POST", "/auth/login")
def login(request: Request) -> tuple[int, Any]:
    email, password = credentials(request)
    claim = dynamodb.get_item(
        TableName=USERS_TABLE, Key={"userId": {"S": f"email#{email}"}}, ConsistentRead=True
    ).get("Item")
    user = None
    if claim is not None:
        user = dynamodb.get_item(
            TableName=USERS_TABLE, Key={"userId": claim["ownerId"]}, ConsistentRead=True
        ).get("Item")
    if user is None or not check_password(password, user["passwordHash"]["S"]):
        raise HttpError(401, "wrong email or password")
    token = tokens.issue(user["userId"]["S"], email)
    return 200, {"token": token, "expiresIn": tokens.TTL_SECONDS}


@router.route("GET", "/auth/me")
def me(request: Request) -> tuple[int, Any]:
    claims = tokens.verify(request.bearer())
    user = dynamodb.get_item(TableName=USERS_TABLE, Key={"userId": {"S": claims["sub"]}}).get(
        "Item"
    )
    if user is None:
        raise HttpError(404, "user not found")
    return 200, {
        "userId": user["userId"]["S"],
        "email": user["email"]["S"],
        "createdAt": int(user["createdAt"]["N"]),
    }


handler = router
