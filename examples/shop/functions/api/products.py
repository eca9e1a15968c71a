"""products-api: the catalogue — behind the REST API at /products.

Products live in the products table (PRODUCTS_TABLE_NAME), with the byCategory index
for `GET /products?category=...`. Anyone may read; adding a product takes a bearer
token from auth-api's login.
"""

from __future__ import annotations

import math
import os
import time
import uuid
from decimal import Decimal
from typing import Any

import boto3
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from shopkit import tokens
from shopkit.http import HttpError, Request, Router

PRODUCTS_TABLE = os.environ["PRODUCTS_TABLE_NAME"]
CATEGORY_INDEX = "byCategory"
PAGE = 100

dynamodb = boto3.client("dynamodb")
router = Router()
_to_item = TypeSerializer().serialize
_from_item = TypeDeserializer().deserialize


def plain(item: dict[str, Any]) -> dict[str, Any]:
    values = {name: _from_item(value) for name, value in item.items()}
    return {k: (float(v) if isinstance(v, Decimal) else v) for k, v in values.items()}


@router.route("GET", "/products")
def list_products(request: Request) -> tuple[int, Any]:
    category = request.query.get("category")
    if category:
        page = dynamodb.query(
            TableName=PRODUCTS_TABLE,
            IndexName=CATEGORY_INDEX,
            KeyConditionExpression="category = :c",
            ExpressionAttributeValues={":c": {"S": category}},
            Limit=PAGE,
        )
    else:
        page = dynamodb.scan(TableName=PRODUCTS_TABLE, Limit=PAGE)
    items = sorted((plain(item) for item in page["Items"]), key=lambda p: p["name"])
    return 200, {"products": items}


@router.route("POST", "/products")
def add_product(request: Request) -> tuple[int, Any]:
    claims = tokens.verify(request.bearer())
    body = request.json()
    name, category, price = body.get("name"), body.get("category"), body.get("price")
    if not isinstance(name, str) or not 1 <= len(name.strip()) <= 200:
        raise HttpError(400, "name must be 1 to 200 characters")
    if not isinstance(category, str) or not 1 <= len(category.strip()) <= 50:
        raise HttpError(400, "category must be 1 to 50 characters")
    if (
        isinstance(price, bool)
        or not isinstance(price, (int, float))
        or not math.isfinite(price)
        or price < 0
    ):
        raise HttpError(400, "price must be a number >= 0")
    product = {
        "productId": str(uuid.uuid4()),
        "name": name.strip(),
        "category": category.strip(),
        "price": Decimal(str(price)),
        "createdBy": claims["sub"],
        "createdAt": int(time.time()),
    }
    dynamodb.put_item(TableName=PRODUCTS_TABLE, Item={k: _to_item(v) for k, v in product.items()})
    return 201, {**product, "price": float(product["price"])}


@router.route("GET", "/products/{productId}")
def get_product(request: Request) -> tuple[int, Any]:
    item = dynamodb.get_item(
        TableName=PRODUCTS_TABLE, Key={"productId": {"S": request.params["productId"]}}
    ).get("Item")
    if item is None:
        raise HttpError(404, "product not found")
    return 200, plain(item)


handler = router
