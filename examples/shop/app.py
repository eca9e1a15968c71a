"""The shop: seed 000's serverless system, declared in Python.

    REST API ──┬── ANY /auth, /auth/{proxy+}         ──► auth-api ──► users table
               └── ANY /products, /products/{proxy+} ──► products-api ──► products table
    auth-api ── signup: {userId, email} ──► emails-queue ──► email-worker (batch 5, 2 s)
                                             └─ 3 receives ─► emails-dlq
    email-worker ──► mock email provider (records each send in the sent-emails table)

Deploy it with `cloudlet deploy examples/shop` (or `cloudlet dev examples/shop`).
"""

import os

from cloudlet.app import App

app = App("shop")

# Data: the seed kept users in Postgres; here both stores are DynamoDB tables.
users = app.table("users", key=("userId", "S"))
products = app.table("products", key=("productId", "S"), indexes={"byCategory": ("category", "S")})
sent_emails = app.table("sent-emails", key=("sendId", "S"))  # the mock provider's outbox

# Messaging: a failed welcome email is retried, and moved aside after three receives.
dlq = app.queue("emails-dlq")
emails = app.queue("emails-queue", dlq=dlq, max_receive_count=3, visibility_timeout=30)

# Functions. The two HTTP services share one code folder (its router and tokens).
token_secret = os.environ.get("SHOP_TOKEN_SECRET", "local-development-only")
http = {
    "code": "functions/api",
    "memory": 256,
    "timeout": 10,
    "environment": {"TOKEN_SECRET": token_secret},
}
auth = app.function("auth-api", handler="auth.handler", **http)
auth.link(users)
auth.link(emails, access="write")

catalogue = app.function("products-api", handler="products.handler", **http)
catalogue.link(products)

worker = app.function(
    "email-worker", code="functions/email_worker", handler="app.handler", timeout=10
)
worker.link(sent_emails, access="write")
worker.link(emails, access="read")  # to shorten a failed message's retry (backoff)
worker.consume(emails, batch_size=5, batching_window=2, report_failures=True)

# The REST API: each service gets its prefix and everything under it.
api = app.rest_api("shop-api")
api.proxy("/auth", auth)
api.proxy("/products", catalogue)

app.output("api_url", api.url)
app.output("emails_dlq_url", dlq.url)
app.output("sent_emails_table", sent_emails.physical_name)
