"""What an environment for one function version is started with: its environment
variables (those Lambda sets, then the function's own), task root, and /opt."""

from __future__ import annotations

import hashlib
import shutil
import sys
from pathlib import Path
from typing import Any

from cloudlet.services.lambda_.backend import Backend
from cloudlet.services.lambda_.models import Resolved
from cloudlet.services.lambda_.runtime.processes import Launch, runtime_kind


def opt_dir(backend: Backend, layers: list[dict[str, Any]]) -> Path:
    """The function's /opt: its layers' contents merged in order, made once per list."""
    if not layers:
        empty = backend.code.root / "opt" / "empty"
        empty.mkdir(parents=True, exist_ok=True)
        return empty
    codes = []
    for layer in layers:
        base, _, version = layer["Arn"].rpartition(":")
        found = backend.store.layer(base, int(version))
        if found is not None:
            codes.append(found[1])
    digest = hashlib.sha256("/".join(codes).encode()).hexdigest()[:32]
    target = backend.code.root / "opt" / digest
    if target.exists():
        return target
    staging = target.with_name(digest + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    for code in codes:  # later layers win, as on AWS
        shutil.copytree(backend.code.unpacked(code), staging, dirs_exist_ok=True, symlinks=False)
    staging.mkdir(parents=True, exist_ok=True)
    staging.rename(target)
    return target


def build_launch(
    backend: Backend, resolved: Resolved, stream: str, provisioned: bool = False
) -> Launch:
    config = resolved.config
    fn = resolved.function
    runtime = config["Runtime"]
    kind = runtime_kind(runtime)
    task_root = backend.code.unpacked(resolved.code)
    opt = opt_dir(backend, config.get("Layers", []))
    group = config.get("LoggingConfig", {}).get("LogGroup", f"/aws/lambda/{fn.name}")
    env: dict[str, str] = {
        "AWS_LAMBDA_FUNCTION_NAME": fn.name,
        "AWS_LAMBDA_FUNCTION_VERSION": resolved.version,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(config["MemorySize"]),
        "AWS_LAMBDA_LOG_GROUP_NAME": group,
        "AWS_LAMBDA_LOG_STREAM_NAME": stream,
        "AWS_LAMBDA_INITIALIZATION_TYPE": "provisioned-concurrency" if provisioned else "on-demand",
        "AWS_REGION": fn.region,
        "AWS_DEFAULT_REGION": fn.region,
        "AWS_EXECUTION_ENV": f"AWS_Lambda_{runtime}",
        "LAMBDA_TASK_ROOT": str(task_root),
        "LAMBDA_RUNTIME_DIR": str(Path(__file__).parent / "runtime"),
        "_HANDLER": config["Handler"],
        "TZ": ":UTC",
        "LANG": "en_US.UTF-8",
        "PATH": f"{opt}/bin:/usr/local/bin:/usr/bin:/bin",
        "LD_LIBRARY_PATH": f"{opt}/lib:/lib64:/usr/lib64",
        # The function's own SDK calls come back to cloudlet, as the function's account.
        "AWS_ENDPOINT_URL": backend.cloud.endpoint_url,
        "AWS_ACCESS_KEY_ID": fn.account,
        "AWS_SECRET_ACCESS_KEY": "cloudlet",
        "AWS_SESSION_TOKEN": "cloudlet",
        "AWS_LAMBDA_RUNTIME_API": backend.cloud.endpoint_url.removeprefix("http://") + "/_lambda/",
        "CLOUDLET_OPT": str(opt),
    }
    paths: list[str] = []
    bootstrap = None
    if kind == "python":
        version = f"python{sys.version_info.major}.{sys.version_info.minor}"
        paths = [str(task_root), f"{opt}/python", f"{opt}/python/lib/{version}/site-packages"]
    elif kind == "node":
        env["NODE_PATH"] = ":".join(
            [
                f"{opt}/nodejs/node_modules",
                f"{opt}/nodejs/{runtime.replace('.x', '')}/node_modules",
                str(task_root),
            ]
        )
    else:
        for candidate in (task_root / "bootstrap", opt / "bootstrap"):
            if candidate.exists():
                bootstrap = candidate
                break
    env.update((config.get("Environment") or {}).get("Variables", {}))
    return Launch(kind, runtime, env, task_root, paths, int(config["MemorySize"]), bootstrap)
