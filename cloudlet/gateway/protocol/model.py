"""botocore's service models, read straight from its data files.

We read the JSON ourselves instead of importing botocore.model: that import pulls in
botocore's HTTP stack (about 130 ms and 14 MB), which would double start-up and idle
memory for no gain — the parsers below need only the shapes. Documentation strings are
dropped on load.

A service may add an *overlay*: a dict merged into the model (e.g. the query-protocol
member names that newer SQS models no longer carry).
"""

from __future__ import annotations

import copy
import gzip
import importlib.util
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import orjson

Shape = dict[str, Any]


@cache
def botocore_data_dir() -> Path:
    spec = importlib.util.find_spec("botocore")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("botocore is not installed")
    return Path(list(spec.submodule_search_locations)[0]) / "data"


def _read_model(service: str) -> dict[str, Any]:
    versions = sorted((botocore_data_dir() / service).iterdir())
    for version in reversed(versions):
        plain = version / "service-2.json"
        packed = version / "service-2.json.gz"
        if plain.exists():
            return dict(orjson.loads(plain.read_bytes()))
        if packed.exists():
            return dict(orjson.loads(gzip.decompress(packed.read_bytes())))
    raise FileNotFoundError(f"no botocore model for {service}")


def _strip_docs(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _strip_docs(v) for k, v in node.items() if k != "documentation"}
    if isinstance(node, list):
        return [_strip_docs(v) for v in node]
    return node


def _merge(base: dict[str, Any], overlay: dict[str, Any]) -> None:
    for key, value in overlay.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = copy.deepcopy(value)  # never share the overlay's objects


@dataclass(frozen=True)
class OperationModel:
    name: str
    input_shape: str | None
    output_shape: str | None
    http: dict[str, Any]
    result_wrapper: str | None


@dataclass(eq=False)
class ServiceModel:
    name: str
    metadata: dict[str, Any]
    shapes: dict[str, Shape]
    operations: dict[str, OperationModel] = field(default_factory=dict)
    check_constraints: bool = True

    @property
    def target_prefix(self) -> str | None:
        prefix: str | None = self.metadata.get("targetPrefix")
        return prefix

    @property
    def query_compatible(self) -> bool:
        return "awsQueryCompatible" in self.metadata

    @property
    def protocols(self) -> list[str]:
        found: list[str] = self.metadata.get("protocols") or [self.metadata["protocol"]]
        return found

    def shape(self, name: str) -> Shape:
        return self.shapes[name]


def load_service_model(service: str, overlay: dict[str, Any] | None = None) -> ServiceModel:
    raw = _strip_docs(_read_model(service))
    if overlay:
        _merge(raw, overlay)
    model = ServiceModel(service, raw["metadata"], raw["shapes"])
    for name, op in raw["operations"].items():
        output = op.get("output") or {}
        model.operations[name] = OperationModel(
            name=name,
            input_shape=(op.get("input") or {}).get("shape"),
            output_shape=output.get("shape"),
            http=op.get("http", {}),
            result_wrapper=output.get("resultWrapper"),
        )
    return model
