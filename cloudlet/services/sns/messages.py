"""What a published message may hold, and the documents SNS delivers it as.

Validation follows the SNS API reference: message attributes of type String, Number,
Binary or String.Array (and custom `Type.suffix` types), 256 KB for message and
attributes together, JSON message structures with a "default" entry.

Delivery documents: the JSON notification SQS and HTTP/S endpoints receive (formatted
as AWS formats it: `"Key" : value` lines), the SNSEvent Lambda functions receive, and
raw delivery. Signatures have AWS's form but are not verifiable: cloudlet holds no AWS
signing key.
"""

from __future__ import annotations

import base64
import hashlib
import re
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import orjson

from cloudlet.services.sns.errors import invalid_parameter, invalid_value

MAX_MESSAGE_BYTES = 256 * 1024
_ATTR_NAME = re.compile(r"^[A-Za-z0-9_.\-]+$")
_DATA_TYPE = re.compile(r"^(String|Number|Binary)(\..+)?$")
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_NUMBER_PRECISION = 38


def timestamp() -> str:
    """Now, as SNS writes it: 2024-01-02T03:04:05.678Z."""
    now = datetime.now(UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


# -- validation ---------------------------------------------------------------------------


def check_attribute_name(name: str) -> None:
    if len(name.encode()) > 256:
        raise invalid_value("Length of message attribute name must be less than 256 bytes.")
    if name.startswith("."):
        raise invalid_value("Invalid message attribute name starting with character '.' was found.")
    if name.endswith("."):
        raise invalid_value("Invalid message attribute name ending with character '.' was found.")
    if ".." in name:
        raise invalid_value("Message attribute name can not have successive '.' character.")
    if not _ATTR_NAME.match(name):
        bad = next(c for c in name if not (c.isascii() and (c.isalnum() or c in "_-.")))
        raise invalid_value(
            f"Invalid non-alphanumeric character '#x{ord(bad):X}' was found in the message "
            "attribute name. Can only include alphanumeric characters, hyphens, underscores, "
            "or dots."
        )
    if name.lower().startswith(("aws.", "amazon.")):
        raise invalid_value(f"Message attribute name '{name}' has a reserved prefix.")


def _check_number(name: str, text: str) -> None:
    try:
        number = Decimal(text.strip())
    except InvalidOperation:
        raise invalid_value(f"Could not cast message attribute '{name}' value to number.") from None
    if not number.is_finite():
        raise invalid_value(f"Could not cast message attribute '{name}' value to number.")
    if number != 0:
        digits = number.normalize().as_tuple()
        if len(digits.digits) > _NUMBER_PRECISION:
            raise invalid_value(
                f"Message attribute '{name}' number value [{text}] precision must be "
                f"{_NUMBER_PRECISION} digits or less."
            )
        if not Decimal("1e-128") <= abs(number) <= Decimal("1e126"):
            raise invalid_value(
                f"Message attribute '{name}' number value [{text}] scale must be 10^-128 and "
                "10^126."
            )


def _check_array(name: str, text: str) -> None:
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        value = None
    if not isinstance(value, list) or any(isinstance(v, (dict, list)) for v in value):
        raise invalid_value(
            f"The message attribute '{name}' has an invalid value: String.Array must be a JSON "
            "array of strings, numbers, true, false or null."
        )


def check_attributes(attributes: dict[str, dict[str, Any]]) -> int:
    """Validate Publish's MessageAttributes; return their size in bytes."""
    size = 0
    for name, attr in attributes.items():
        check_attribute_name(name)
        data_type = attr.get("DataType", "")
        if not _DATA_TYPE.match(data_type):
            raise invalid_value(
                f"The message attribute '{name}' has an invalid message attribute type, the set "
                "of supported type prefixes is Binary, Number, and String."
            )
        binary = data_type.startswith("Binary")
        field = "BinaryValue" if binary else "StringValue"
        value = attr.get(field)
        if value is None and attr.get("BinaryValue" if not binary else "StringValue") is not None:
            raise invalid_value(
                f"The message attribute '{name}' with type '{data_type}' must use field "
                f"'{'Binary' if binary else 'String'}'."
            )
        if not value:
            raise invalid_value(
                f"The message attribute '{name}' must contain non-empty message attribute "
                f"value for message attribute type '{data_type.split('.')[0]}'."
            )
        if not binary:
            if _XML_INVALID.search(value):
                raise invalid_value(
                    f"The message attribute '{name}' contains invalid characters: valid unicode "
                    "characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | "
                    "#x10000 to #x10FFFF"
                )
            if data_type.startswith("Number"):
                _check_number(name, value)
            elif data_type == "String.Array":
                _check_array(name, value)
        size += len(name.encode()) + len(data_type.encode())
        size += len(value) if binary else len(value.encode())
    return size


def check_subject(subject: str | None) -> None:
    """ASCII, no line breaks or control characters, under 100 characters."""
    if subject is None:
        return
    if (
        not subject
        or len(subject) >= 100
        or not subject.isascii()
        or any(ord(c) < 32 or ord(c) == 127 for c in subject)
        or subject[0].isspace()
    ):
        raise invalid_parameter("Subject")


def parse_structure(message: str) -> dict[str, str]:
    """A MessageStructure=json message: per-protocol strings with a "default" entry.
    Entries that are not strings are ignored, as AWS ignores them."""
    try:
        value = orjson.loads(message)
    except orjson.JSONDecodeError:
        raise invalid_parameter("Message Structure - JSON message body failed to parse") from None
    if not isinstance(value, dict):
        raise invalid_parameter("Message Structure - JSON message body failed to parse")
    entries = {k: v for k, v in value.items() if isinstance(v, str)}
    if "default" not in entries:
        raise invalid_parameter("Message Structure - No default entry in JSON message body")
    return entries


def stored_attributes(attributes: dict[str, dict[str, Any]]) -> dict[str, dict[str, str]]:
    """Message attributes in JSON-safe form (binary values base64-encoded)."""
    out = {}
    for name, attr in attributes.items():
        if "BinaryValue" in attr and attr["DataType"].startswith("Binary"):
            value = base64.b64encode(attr["BinaryValue"]).decode()
            out[name] = {"DataType": attr["DataType"], "BinaryValue": value}
        else:
            out[name] = {"DataType": attr["DataType"], "StringValue": attr["StringValue"]}
    return out


def dedup_hash(message: str) -> str:
    return hashlib.sha256(message.encode()).hexdigest()


# -- delivery documents -------------------------------------------------------------------


def content_for(message: dict[str, Any], protocol: str) -> str:
    """The message text an endpoint of `protocol` receives."""
    structure = message.get("Structure")
    if structure:
        return str(structure.get(protocol, structure["default"]))
    return str(message["Message"])


def notification_attributes(message: dict[str, Any]) -> dict[str, dict[str, str]]:
    """{"name": {"Type": ..., "Value": ...}}, binary values in base64."""
    return {
        name: {"Type": attr["DataType"], "Value": attr.get("StringValue", attr.get("BinaryValue"))}
        for name, attr in (message.get("MessageAttributes") or {}).items()
    }


def sqs_attributes(message: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The message attributes as SQS message attributes (raw delivery)."""
    out: dict[str, dict[str, Any]] = {}
    for name, attr in (message.get("MessageAttributes") or {}).items():
        if "BinaryValue" in attr:
            binary = base64.b64decode(attr["BinaryValue"])
            out[name] = {"DataType": attr["DataType"], "BinaryValue": binary}
        else:
            out[name] = {"DataType": attr["DataType"], "StringValue": attr["StringValue"]}
    return out


def signature(fields: dict[str, Any], order: tuple[str, ...]) -> str:
    """A signature of AWS's length over AWS's canonical string (not verifiable)."""
    canonical = "".join(f"{k}\n{fields[k]}\n" for k in order if fields.get(k) is not None)
    return base64.b64encode(hashlib.shake_256(canonical.encode()).digest(256)).decode()


_NOTIFICATION_SIGNED = ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type")
_CONFIRMATION_SIGNED = (
    "Message",
    "MessageId",
    "SubscribeURL",
    "Timestamp",
    "Token",
    "TopicArn",
    "Type",
)


def aws_json(fields: dict[str, Any]) -> str:
    """JSON laid out as SNS lays out its notifications (`"Key" : value` lines; attribute
    values compact)."""
    lines = []
    for key, value in fields.items():
        if key == "MessageAttributes":
            inner = ",\n".join(
                f"    {_dumps(name)} : {_dumps(attr)}" for name, attr in value.items()
            )
            lines.append(f'  "MessageAttributes" : {{\n{inner}\n  }}')
        else:
            lines.append(f"  {_dumps(key)} : {_dumps(value)}")
    return "{\n" + ",\n".join(lines) + "\n}"


def _dumps(value: Any) -> str:
    # orjson writes UTF-8 as is and does not escape "/", as SNS's serializer does not.
    return orjson.dumps(value).decode()


def notification(
    message: dict[str, Any], sub_arn: str, protocol: str, base_url: str, version: str
) -> dict[str, Any]:
    """The Notification document, in AWS's field order. FIFO topics' notifications
    carry a SequenceNumber and no signature."""
    fields: dict[str, Any] = {"Type": "Notification", "MessageId": message["MessageId"]}
    fifo = message.get("SequenceNumber") is not None
    if fifo:
        fields["SequenceNumber"] = message["SequenceNumber"]
    fields["TopicArn"] = message["TopicArn"]
    if message.get("Subject") is not None:
        fields["Subject"] = message["Subject"]
    fields["Message"] = content_for(message, protocol)
    fields["Timestamp"] = message["Timestamp"]
    if not fifo:
        fields["SignatureVersion"] = version
        fields["Signature"] = signature(fields, _NOTIFICATION_SIGNED)
        fields["SigningCertURL"] = signing_cert_url(base_url)
    fields["UnsubscribeURL"] = unsubscribe_url(base_url, sub_arn)
    attributes = notification_attributes(message)
    if attributes:
        fields["MessageAttributes"] = attributes
    return fields


def confirmation(message: dict[str, Any], base_url: str, version: str) -> dict[str, Any]:
    """A SubscriptionConfirmation (or UnsubscribeConfirmation) document."""
    fields: dict[str, Any] = {
        "Type": message["Type"],
        "MessageId": message["MessageId"],
        "Token": message["Token"],
        "TopicArn": message["TopicArn"],
        "Message": message["Message"],
        "SubscribeURL": subscribe_url(base_url, message["TopicArn"], message["Token"]),
        "Timestamp": message["Timestamp"],
        "SignatureVersion": version,
    }
    fields["Signature"] = signature(fields, _CONFIRMATION_SIGNED)
    fields["SigningCertURL"] = signing_cert_url(base_url)
    return fields


def lambda_event(message: dict[str, Any], sub_arn: str, base_url: str) -> dict[str, Any]:
    """The SNSEvent a subscribed function is invoked with. Lambda's record says
    SigningCertUrl/UnsubscribeUrl, has Subject null when there is none, and always has
    SignatureVersion "1"."""
    sns: dict[str, Any] = {
        "Type": "Notification",
        "MessageId": message["MessageId"],
        "TopicArn": message["TopicArn"],
        "Subject": message.get("Subject"),
        "Message": content_for(message, "lambda"),
        "Timestamp": message["Timestamp"],
        "SignatureVersion": "1",
    }
    sns["Signature"] = signature(sns, _NOTIFICATION_SIGNED)
    sns["SigningCertUrl"] = signing_cert_url(base_url)
    sns["UnsubscribeUrl"] = unsubscribe_url(base_url, sub_arn)
    sns["MessageAttributes"] = notification_attributes(message)
    record = {
        "EventSource": "aws:sns",
        "EventVersion": "1.0",
        "EventSubscriptionArn": sub_arn,
        "Sns": sns,
    }
    return {"Records": [record]}


def signing_cert_url(base_url: str) -> str:
    return f"{base_url}/_sns/SimpleNotificationService-cloudlet.pem"


def unsubscribe_url(base_url: str, sub_arn: str) -> str:
    return f"{base_url}/?Action=Unsubscribe&SubscriptionArn={sub_arn}"


def subscribe_url(base_url: str, topic_arn: str, token: str) -> str:
    return f"{base_url}/?Action=ConfirmSubscription&TopicArn={topic_arn}&Token={token}"
