"""AWS Lambda: the function API over rest-json, and functions run as local processes
that speak the Lambda Runtime API — Python, Node.js and custom runtimes, no Docker.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path
from typing import ClassVar

from cloudlet.config import Config
from cloudlet.gateway.protocol.wire import Response
from cloudlet.services.base import Operation, Service
from cloudlet.services.lambda_ import (
    concurrency,
    esm,
    eventconfig,
    functions,
    invoke,
    layers,
    permissions,
    tags,
    versions,
)
from cloudlet.services.lambda_.asyncjobs import AsyncWorker
from cloudlet.services.lambda_.backend import Backend, Settings
from cloudlet.services.lambda_.code import CodeStore
from cloudlet.services.lambda_.esm_poller import EsmWorker
from cloudlet.services.lambda_.models import LambdaStore
from cloudlet.services.lambda_.runtime import api
from cloudlet.services.lambda_.runtime.pool import Pool
from cloudlet.services.lambda_.runtime.processes import Launcher
from cloudlet.store import Database

_CODE = re.compile(r"^/_lambda/code/([0-9a-f]{64})\.zip$")


class LambdaService(Service):
    name = "lambda"
    signing_name = "lambda"
    protocols = ("rest-json",)
    operations: ClassVar[dict[str, Operation]] = {
        "CreateFunction": functions.create_function,
        "GetFunction": functions.get_function,
        "GetFunctionConfiguration": functions.get_function_configuration,
        "ListFunctions": functions.list_functions,
        "UpdateFunctionCode": functions.update_function_code,
        "UpdateFunctionConfiguration": functions.update_function_configuration,
        "DeleteFunction": functions.delete_function,
        "Invoke": invoke.invoke,
        "PublishVersion": versions.publish_version,
        "ListVersionsByFunction": versions.list_versions_by_function,
        "CreateAlias": versions.create_alias,
        "GetAlias": versions.get_alias,
        "UpdateAlias": versions.update_alias,
        "DeleteAlias": versions.delete_alias,
        "ListAliases": versions.list_aliases,
        "PublishLayerVersion": layers.publish_layer_version,
        "GetLayerVersion": layers.get_layer_version,
        "GetLayerVersionByArn": layers.get_layer_version_by_arn,
        "ListLayers": layers.list_layers,
        "ListLayerVersions": layers.list_layer_versions,
        "DeleteLayerVersion": layers.delete_layer_version,
        "AddLayerVersionPermission": layers.add_layer_version_permission,
        "RemoveLayerVersionPermission": layers.remove_layer_version_permission,
        "GetLayerVersionPolicy": layers.get_layer_version_policy,
        "AddPermission": permissions.add_permission,
        "RemovePermission": permissions.remove_permission,
        "GetPolicy": permissions.get_policy,
        "TagResource": tags.tag_resource,
        "UntagResource": tags.untag_resource,
        "ListTags": tags.list_tags,
        "PutFunctionConcurrency": concurrency.put_function_concurrency,
        "GetFunctionConcurrency": concurrency.get_function_concurrency,
        "DeleteFunctionConcurrency": concurrency.delete_function_concurrency,
        "PutProvisionedConcurrencyConfig": concurrency.put_provisioned_concurrency_config,
        "GetProvisionedConcurrencyConfig": concurrency.get_provisioned_concurrency_config,
        "DeleteProvisionedConcurrencyConfig": concurrency.delete_provisioned_concurrency_config,
        "ListProvisionedConcurrencyConfigs": concurrency.list_provisioned_concurrency_configs,
        "GetAccountSettings": concurrency.get_account_settings,
        "PutFunctionEventInvokeConfig": eventconfig.put_function_event_invoke_config,
        "UpdateFunctionEventInvokeConfig": eventconfig.update_function_event_invoke_config,
        "GetFunctionEventInvokeConfig": eventconfig.get_function_event_invoke_config,
        "DeleteFunctionEventInvokeConfig": eventconfig.delete_function_event_invoke_config,
        "ListFunctionEventInvokeConfigs": eventconfig.list_function_event_invoke_configs,
        "CreateEventSourceMapping": esm.create_event_source_mapping,
        "GetEventSourceMapping": esm.get_event_source_mapping,
        "UpdateEventSourceMapping": esm.update_event_source_mapping,
        "DeleteEventSourceMapping": esm.delete_event_source_mapping,
        "ListEventSourceMappings": esm.list_event_source_mappings,
    }

    def __init__(self, db: Database, config: Config) -> None:
        super().__init__(db, config)
        self._scratch: Path | None = None
        if config.ephemeral:
            self._scratch = Path(tempfile.mkdtemp(prefix="cloudlet-lambda-"))
            root = self._scratch
        else:
            root = config.data_dir / "lambda"
        self.settings = Settings(
            account_limit=config.lambda_concurrency,
            idle_seconds=config.lambda_idle_seconds,
            async_retry_delays=config.lambda_retry_delays,
            python=config.lambda_python,
        )
        self.root = root
        self.tables = LambdaStore(db)
        self.code = CodeStore(root)
        self.launcher = Launcher(root, self.settings.python, self._exited)
        self.pool = Pool(self.launcher, self.settings.account_limit, self.settings.idle_seconds)
        self.store: Backend | None = None
        self._worker: AsyncWorker | None = None
        self._esm: EsmWorker | None = None

    def _exited(self, pid: int, status: int) -> None:
        self.pool.process_exited(pid, status)

    def reset(self) -> None:
        self.tables.forget()

    async def start(self) -> None:
        self.store = Backend(self.tables, self.code, self.pool, self.cloud, self.settings)
        self._worker = AsyncWorker(self.store)
        self.store.wake_async = self._worker.wake
        self.pool.start()
        self._worker.start()
        self._esm = EsmWorker(self.store)
        self._esm.start()

    async def quiesce(self) -> None:
        if self._esm is not None:
            await self._esm.stop()
        await self.pool.stop()
        if self.store is not None:
            await self.store.logs.close()

    async def stop(self) -> None:
        if self._worker is not None:
            await self._worker.stop()
        if self._esm is not None:
            await self._esm.stop()
        await self.pool.stop()
        if self.store is not None:
            await self.store.logs.close()
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)

    async def internal(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> Response:
        code = _CODE.match(path)
        if code is not None:
            zip_path = self.code.zip_path(code.group(1))
            if not zip_path.exists():
                return 404, [], b""
            return 200, [(b"content-type", b"application/zip")], zip_path.read_bytes()
        return await api.handle(self.pool, method, path, headers, body)
