"""The deployer: plain boto3 calls that make the cloud match an App, the same against
the local cloud, LocalStack or AWS. See docs/deploy.md.

    target = Target("http://127.0.0.1:4566")
    p = plan(app, "dev", target)      # reads actual state; p.changes says what differs
    outputs = apply(p)                # creates/updates/deletes; writes outputs
    destroy("shop", "dev", target)    # removes what the app+stage owns
"""

from cloudlet.deploy.build import build
from cloudlet.deploy.engine import Outputs, Plan, apply, destroy, outputs_path, plan
from cloudlet.deploy.model import Change
from cloudlet.deploy.target import DEFAULT_ENDPOINT, Target

__all__ = [
    "DEFAULT_ENDPOINT",
    "Change",
    "Outputs",
    "Plan",
    "Target",
    "apply",
    "build",
    "destroy",
    "outputs_path",
    "plan",
]
