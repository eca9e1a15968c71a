"""The AWS services cloudlet implements, one package each.

`SERVICES` maps each service's botocore name to the class that implements it; the
gateway imports a service when it is first needed. Adding a service is adding a line
here. A service's tables are named `<botocore name>_...`, which is how the gateway tells,
at start-up, which services have state to resume.
"""

from __future__ import annotations

from cloudlet.services.base import Operation, Service

SERVICES: dict[str, str] = {
    "sqs": "cloudlet.services.sqs:SqsService",
    "lambda": "cloudlet.services.lambda_:LambdaService",
    "logs": "cloudlet.services.logs:LogsService",
    "iam": "cloudlet.services.iam:IamService",
    "sts": "cloudlet.services.sts:StsService",
    "sns": "cloudlet.services.sns:SnsService",
    "apigateway": "cloudlet.services.apigateway:ApiGatewayService",
    "apigatewayv2": "cloudlet.services.apigatewayv2:ApiGatewayV2Service",
    "dynamodb": "cloudlet.services.dynamodb:DynamoDbService",
    "dynamodbstreams": "cloudlet.services.dynamodbstreams:DynamoDbStreamsService",
}

# Path prefixes answered by a service's `internal()` instead of the AWS pipeline (the
# service is loaded on the first such request): Lambda's Runtime API and code downloads,
# the SNS outbox, JWKS given to HTTP API JWT authorizers.
INTERNAL_PREFIXES: dict[str, str] = {
    "/_lambda/": "lambda",
    "/_sns/": "sns",
    "/_apigatewayv2/": "apigatewayv2",
}

__all__ = ["INTERNAL_PREFIXES", "SERVICES", "Operation", "Service"]
