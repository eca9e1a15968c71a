"""The AWS services cloudlet implements, one package each.

`SERVICES` lists the classes the gateway builds at start-up; adding a service is adding
a line here.
"""

from __future__ import annotations

from cloudlet.services.base import Operation, Service
from cloudlet.services.sqs import SqsService

SERVICES: tuple[type[Service], ...] = (SqsService,)

__all__ = ["SERVICES", "Operation", "Service"]
