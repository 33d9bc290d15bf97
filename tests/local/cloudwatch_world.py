"""CloudWatch clients of the tests: real boto3 clients forced to one of the model's protocols.

boto3 speaks the first protocol of CloudWatch's model (``smithy-rpc-v2-cbor``); these tests pick
one with a botocore ``Loader`` whose search path holds a copy of the model with ``protocols``
reduced to that one, so the client is real botocore through and through.
"""

from __future__ import annotations

import functools
import gzip
import json
import tempfile
from pathlib import Path
from typing import Any

import boto3
import botocore.session
from botocore.loaders import Loader

from bgkit.local.process import DUMMY_CREDENTIALS
from bgkit.local.server import LocalCloud

#: the protocols the local cloud answers CloudWatch in today (cbor comes with the protocol layer)
PROTOCOLS = ("json", "query")


@functools.cache
def _model_dir(protocol: str) -> str:
    source = botocore.session.get_session().get_component("data_loader")
    model = source.load_service_model("cloudwatch", "service-2")
    model = json.loads(json.dumps(model))
    model["metadata"]["protocols"] = [protocol]
    model["metadata"]["protocol"] = protocol
    root = Path(tempfile.mkdtemp(prefix=f"bgkit-cloudwatch-{protocol}-"))
    folder = root / "cloudwatch" / model["metadata"]["apiVersion"]
    folder.mkdir(parents=True)
    with gzip.open(folder / "service-2.json.gz", "wt") as out:
        json.dump(model, out)
    return str(root)


def cloudwatch(cloud: LocalCloud, protocol: str, region: str = "us-east-1") -> Any:
    """A boto3 CloudWatch client of ``cloud`` that speaks ``protocol``."""
    core = botocore.session.get_session()
    loader = Loader(extra_search_paths=[_model_dir(protocol)])
    core.register_component("data_loader", loader)
    session = boto3.session.Session(botocore_session=core, **DUMMY_CREDENTIALS)
    return session.client("cloudwatch", region_name=region, endpoint_url=cloud.endpoint_url)
