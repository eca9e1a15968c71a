"""The deployer: plain AWS SDK (botocore) calls that make the cloud match an App, the
same against the local cloud, LocalStack or AWS. See docs/deploy.md.

    target = Target("http://127.0.0.1:4566")
    p = plan(app, "dev", target)      # reads actual state; p.changes says what differs
    outputs = apply(p)                # creates/updates/deletes; writes outputs
    destroy("shop", "dev", target)    # removes what the app+stage owns

Names load on first use, so the CLI does not import botocore until a command needs it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cloudlet.deploy.engine import (
        DeployError,
        Outputs,
        Plan,
        apply,
        destroy,
        outputs_path,
        plan,
    )
    from cloudlet.deploy.model import Change
    from cloudlet.deploy.package import build
    from cloudlet.deploy.target import DEFAULT_ENDPOINT, Target

_WHERE = {
    "build": "cloudlet.deploy.package",
    "DeployError": "cloudlet.deploy.engine",
    "Outputs": "cloudlet.deploy.engine",
    "Plan": "cloudlet.deploy.engine",
    "apply": "cloudlet.deploy.engine",
    "destroy": "cloudlet.deploy.engine",
    "outputs_path": "cloudlet.deploy.engine",
    "plan": "cloudlet.deploy.engine",
    "Change": "cloudlet.deploy.model",
    "DEFAULT_ENDPOINT": "cloudlet.deploy.target",
    "Target": "cloudlet.deploy.target",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'cloudlet.deploy' has no attribute {name!r}")


__all__ = [
    "DEFAULT_ENDPOINT",
    "Change",
    "DeployError",
    "Outputs",
    "Plan",
    "Target",
    "apply",
    "build",
    "destroy",
    "outputs_path",
    "plan",
]
