"""A pipeline's CodeDeployToECS action reads no botocore service model while the local cloud runs:
loading one decodes a large JSON file in C, holding the event loop for a tenth of a second or
more, which the loop watchdog caught as a stall of the end-to-end pipeline test (issue 20,
"nothing else blocks the event loop for long"). The model is read when the providers are made.
"""

from __future__ import annotations

import threading

import botocore.loaders
from test_codepipeline_executions import Pipeline, cloud  # noqa: F401  (its fixture)


def test_the_deploy_action_reads_no_service_model_on_the_loop(cloud, client, monkeypatch):  # noqa: F811
    pipeline = Pipeline(cloud, client)
    pipeline.source()
    pipeline.start()
    pipeline.deploy.tick(1.0)
    read: list[str] = []
    original = botocore.loaders.Loader.load_service_model

    def noted(self, service_name, type_name, api_version=None):
        if threading.current_thread().name == "bgkit-local-cloud":  # the loop's own thread
            read.append(f"{service_name} {type_name}")
        return original(self, service_name, type_name, api_version)

    monkeypatch.setattr(botocore.loaders.Loader, "load_service_model", noted)
    pipeline.decide("Approved")  # the Deploy action starts in this call
    assert pipeline.deployment()
    assert read == []
