"""CloudWatch clients of the tests: real boto3 clients forced to one of the model's protocols.

boto3 speaks the first protocol of CloudWatch's model (``smithy-rpc-v2-cbor``); these tests pick
each one the model lists through the protocol tests' :func:`tests.protocol.roundtrip.speaking`
(a botocore session over a copy of the model that offers that protocol alone), so the client is
real botocore through and through.
"""

from __future__ import annotations

from typing import Any

import boto3

from bgkit.local.process import DUMMY_CREDENTIALS
from bgkit.local.server import LocalCloud
from tests.protocol.roundtrip import served_protocols, speaking

#: the protocols the local cloud answers CloudWatch in: every one its model lists
PROTOCOLS = served_protocols("cloudwatch")


def cloudwatch(cloud: LocalCloud, protocol: str, region: str = "us-east-1") -> Any:
    """A boto3 CloudWatch client of ``cloud`` that speaks ``protocol``."""
    session = boto3.session.Session(botocore_session=speaking("cloudwatch", protocol),
                                    **DUMMY_CREDENTIALS)  # fmt: skip
    return session.client("cloudwatch", region_name=region, endpoint_url=cloud.endpoint_url)
