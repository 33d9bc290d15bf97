"""Which wire protocol a request speaks, read from its path and headers alone.

A service whose botocore model lists several protocols (CloudWatch: ``smithy-rpc-v2-cbor``,
``json`` and ``query``; CodeDeploy and CodePipeline: ``smithy-rpc-v2-cbor`` and ``json``) is
answered in each: boto3 picks one, the AWS CLI or another SDK may pick another, and the answer
must be in the protocol the request came in. Each protocol marks its requests unmistakably:

* ``smithy-rpc-v2-cbor``: ``POST {prefix}/service/<Service>/operation/<Operation>`` with the
  header ``smithy-protocol: rpc-v2-cbor`` (Smithy's "RPC v2 CBOR protocol", *Requests*; it
  routes on the last four segments of the path);
* ``json``: the header ``X-Amz-Target: <targetPrefix>.<Operation>`` and a
  ``Content-Type: application/x-amz-json-1.0`` (or ``1.1``) body;
* ``query``: form fields ``Action=<Operation>&Version=…``, in a
  ``application/x-www-form-urlencoded`` body or in the query string.

:func:`spoken` says which of these a request looks like, or ``None``; the protocol layer then
picks the one the service offers (:func:`bgkit.local.api.protocol.request_protocol`), and that
protocol's parser refuses a request that only half speaks it (a CBOR path without its header,
or with an ``X-Amz-Target``) in its own words.
"""

from __future__ import annotations

import re

from bgkit.local.api.wire import HttpRequest

__all__ = ["RPC_V2_CBOR", "RPC_V2_PATH", "spoken"]

#: botocore's name of the Smithy RPC v2 CBOR protocol (``metadata.protocols``)
RPC_V2_CBOR = "smithy-rpc-v2-cbor"
#: the path of an RPC v2 request: its last four segments name the service and the operation
RPC_V2_PATH = re.compile(r"(?:^|/)service/(?P<service>[^/]+)/operation/(?P<operation>[^/]*)$")
_FORM = "application/x-www-form-urlencoded"


def spoken(request: HttpRequest) -> str | None:
    """The protocol ``request`` is written in (``smithy-rpc-v2-cbor``, ``json`` or ``query``),
    or ``None`` when it carries none of their marks (a REST request, or a malformed one)."""
    headers = request.headers
    if "smithy-protocol" in headers or RPC_V2_PATH.search(request.path):
        return RPC_V2_CBOR
    content_type = headers.get("content-type", "").lower()
    if "x-amz-target" in headers or content_type.startswith("application/x-amz-json-"):
        return "json"
    if content_type.startswith(_FORM) or "Action" in request.query:
        return "query"
    return None
