"""The IAM provider: roles, users, their trust, managed and inline policies, and tags.

IAM is global: its records live in the account-wide partition (``ctx.records(kind,
global_=True)``; the kinds and finders are in :mod:`.models`). The operations are mixed in by
concept: roles and their tags (:mod:`.roles`), users and their access keys (:mod:`.users`),
managed and inline policies (:mod:`.policies`) and their versions (:mod:`.versions`), the
policy simulator (:mod:`.simulation`, deciding in :mod:`.simulator`). Policy documents are
validated by :mod:`.documents` and evaluated by :mod:`.evaluation`, capped by permissions
boundaries in :mod:`.boundaries`; who calls and whether they may is :mod:`.authorization`'s.
"""

from __future__ import annotations

from typing import ClassVar

from bgkit.local.provider import Provider
from bgkit.local.services.iam.policies import PolicyOperations
from bgkit.local.services.iam.roles import RoleOperations
from bgkit.local.services.iam.simulation import SimulationOperations
from bgkit.local.services.iam.users import UserOperations
from bgkit.local.services.iam.versions import PolicyVersionOperations

__all__ = ["IamProvider"]


class IamProvider(
    RoleOperations,
    UserOperations,
    PolicyOperations,
    PolicyVersionOperations,
    SimulationOperations,
    Provider,
):
    """AWS Identity and Access Management, the part the walkthrough and its neighbours use."""

    service: ClassVar[str] = "iam"
