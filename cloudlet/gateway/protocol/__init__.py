"""AWS wire protocols, driven only by botocore's service models.

One parser and one serializer per protocol family. `json` and `query` are here;
`rest-json` and `rest-xml` slot in beside them with the same two entry points:
`parse_request(model, operation, raw) -> dict` and `serialize_*(model, operation, ...)`.
"""

from cloudlet.gateway.protocol.model import OperationModel, ServiceModel, load_service_model

__all__ = ["OperationModel", "ServiceModel", "load_service_model"]
