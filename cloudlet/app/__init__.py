"""Infrastructure as plain Python: declare an App's functions, queues, tables, topics and
APIs; `cloudlet deploy` (cloudlet.deploy) makes them exist. See docs/app.md."""

from cloudlet.app.constructs import (
    Api,
    App,
    Authorizer,
    EventSource,
    Function,
    HttpApi,
    Link,
    Output,
    Queue,
    Ref,
    Resource,
    RestApi,
    Route,
    Subscription,
    Table,
    Topic,
)
from cloudlet.app.errors import AppError, Location
from cloudlet.app.loader import load

__all__ = [
    "Api",
    "App",
    "Authorizer",
    "AppError",
    "EventSource",
    "Function",
    "HttpApi",
    "Link",
    "Location",
    "Output",
    "Queue",
    "Ref",
    "Resource",
    "RestApi",
    "Route",
    "Subscription",
    "Table",
    "Topic",
    "load",
]
