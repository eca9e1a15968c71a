"""Deployments: a snapshot of an API's routes, integrations, authorizers and CORS
configuration, which stages serve. Stages with autoDeploy get a fresh deployment after
every change to the API, as on AWS."""

from __future__ import annotations

import copy
from typing import Any

from cloudlet.services.apigatewayv2.models import Api, ApiStore, Doc, new_id, now_iso


def snapshot(api: Api) -> dict[str, Any]:
    return copy.deepcopy(
        {
            "routes": list(api.parts["routes"].values()),
            "integrations": api.parts["integrations"],
            "authorizers": api.parts["authorizers"],
            "cors": api.doc.get("CorsConfiguration"),
        }
    )


def deploy(store: ApiStore, api: Api, description: str | None = None, auto: bool = False) -> Doc:
    doc: Doc = {
        "DeploymentId": new_id(6),
        "DeploymentStatus": "DEPLOYED",
        "CreatedDate": now_iso(),
        "AutoDeployed": auto,
        "_snapshot": snapshot(api),
    }
    if description is not None:
        doc["Description"] = description
    store.put_part(api, "deployments", doc["DeploymentId"], doc)
    return doc


def point_stage(store: ApiStore, api: Api, stage: Doc, deployment: Doc, auto: bool) -> None:
    stage["DeploymentId"] = deployment["DeploymentId"]
    stage["LastUpdatedDate"] = now_iso()
    if auto:
        stage["LastDeploymentStatusMessage"] = (
            f"Successfully deployed stage with deployment ID '{deployment['DeploymentId']}'"
        )
    store.put_part(api, "stages", stage["StageName"], stage)


def auto_deploy(store: ApiStore, api: Api) -> None:
    """Redeploy to every autoDeploy stage after a change to the API."""
    stages = [s for s in api.parts["stages"].values() if s.get("AutoDeploy")]
    if not stages:
        return
    with store.db.transaction():
        deployment = deploy(store, api, auto=True)
        for stage in stages:
            point_stage(store, api, stage, deployment, auto=True)
