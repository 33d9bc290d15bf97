"""``AssumeRoleWithWebIdentity`` and ``AssumeRoleWithSAML``: unsigned, answered as AWS answers a
token it cannot verify.

Both operations are unsigned (``authtype: none`` in botocore's model): the token is the caller's
only credential, and STS verifies it against the identity provider registered in IAM (an OIDC
provider's keys, a SAML provider's metadata). The local IAM registers no identity provider and
the machine reaches none, so no token verifies here, and STS says why in its own words:

- a web identity token that is not a JWT (three base64url parts, a JSON header and claims):
  ``InvalidIdentityToken`` "The ID Token provided is not a valid JWT. (You may see this error if
  you sent an Access Token)";
- a JWT whose issuer (``iss``) has no OpenID Connect provider in the account:
  ``InvalidIdentityToken`` "No OpenIDConnect provider found in your account for <iss>" (AWS's
  answer quoted in mozilla-iam/mozilla-aws-cli#127 and aws-actions/configure-aws-credentials#721);
- an OAuth 2.0 access token of ``ProviderId`` (``www.amazon.com``, ``graph.facebook.com``): STS
  asks that provider, which the local cloud cannot reach: ``IDPCommunicationError``, the model's
  error for an identity provider that could not be reached;
- a SAML assertion that is not base64 of an XML document: ``InvalidIdentityToken`` "Invalid
  base64 SAMLResponse"; one that is, against a SAML provider IAM does not hold (every one here):
  ``InvalidIdentityToken`` "Response signature invalid" (IAM User Guide, *Troubleshoot SAML
  federation with IAM*).

The request's own members are checked first, as AWS's front end does: a role ARN that is not
one (``ValidationError`` "Request ARN is invalid"), a session name outside its pattern.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any
from xml.etree import ElementTree

from bgkit.errors import ServiceError
from bgkit.local.services.sts.assuming import check_session_name

__all__ = ["refuse_saml", "refuse_web_identity"]

ROLE_ARN = re.compile(r"arn:[\w-]+:iam::\d{12}:role/[\w+=,.@/-]+")
PROVIDER_ARN = re.compile(r"arn:[\w-]+:iam::\d{12}:saml-provider/[\w.-]+")


def _check_arn(arn: str, pattern: re.Pattern[str]) -> None:
    if not pattern.fullmatch(arn):
        raise ServiceError("ValidationError", "Request ARN is invalid")


def _claims(token: str) -> dict[str, Any] | None:
    """A JWT's claims, or ``None`` when ``token`` is not a JWT."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        header, claims = (
            json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
            for part in parts[:2]
        )
    except (binascii.Error, ValueError):
        return None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        return None
    return claims


def refuse_web_identity(
    role_arn: str, role_session_name: str, web_identity_token: str, provider_id: str | None
) -> None:
    """STS's answer to a web identity token the local cloud cannot verify (always raises).

    Raises:
        ServiceError: ``ValidationError``, ``InvalidIdentityToken`` or ``IDPCommunicationError``.
    """
    _check_arn(role_arn, ROLE_ARN)
    check_session_name(role_session_name)
    if provider_id is not None:
        raise ServiceError(
            "IDPCommunicationError",
            f"The request could not be fulfilled because the identity provider {provider_id} "
            "that was asked to verify the incoming identity token could not be reached.",
        )
    claims = _claims(web_identity_token)
    if claims is None:
        raise ServiceError(
            "InvalidIdentityToken",
            "The ID Token provided is not a valid JWT. (You may see this error if you sent an "
            "Access Token)",
        )
    issuer = str(claims.get("iss", ""))
    raise ServiceError(
        "InvalidIdentityToken", f"No OpenIDConnect provider found in your account for {issuer}"
    )


def refuse_saml(role_arn: str, principal_arn: str, saml_assertion: str) -> None:
    """STS's answer to a SAML assertion the local cloud cannot verify (always raises).

    Raises:
        ServiceError: ``ValidationError`` or ``InvalidIdentityToken``.
    """
    _check_arn(role_arn, ROLE_ARN)
    _check_arn(principal_arn, PROVIDER_ARN)
    try:
        ElementTree.fromstring(base64.b64decode(saml_assertion, validate=True))
    except (binascii.Error, ValueError, ElementTree.ParseError):
        raise ServiceError("InvalidIdentityToken", "Invalid base64 SAMLResponse") from None
    raise ServiceError("InvalidIdentityToken", "Response signature invalid")
