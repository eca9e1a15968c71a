"""The AWS services cloudlet implements, one package each.

`SERVICES` lists the classes the gateway builds at start-up; adding a service is adding
a line here.
"""

from __future__ import annotations

from cloudlet.services.base import Operation, Service
from cloudlet.services.iam import IamService
from cloudlet.services.lambda_ import LambdaService
from cloudlet.services.logs import LogsService
from cloudlet.services.sqs import SqsService
from cloudlet.services.sts import StsService

SERVICES: tuple[type[Service], ...] = (
    SqsService,
    IamService,
    StsService,
    LogsService,
    LambdaService,
)

__all__ = ["SERVICES", "Operation", "Service"]
