"""The name of everything the walkthrough creates, from the participant prefix (``BGKIT_PREFIX``).

One prefix a participant keeps workshop accounts tidy: ``alice-alb``, ``alice-tg-1``… The target
groups' names end in ``-1`` and ``-2`` as the original walkthrough asks; the task execution role is
``<prefix>-task-execution``, which ``AWSCodeDeployRoleForECSLimited`` does **not** let CodeDeploy
pass (it covers only ``ecsTaskExecutionRole`` and ``ECSTaskExecution*``) — so the walkthrough's
own ``iam:PassRole`` policy (``data/iam/codedeploy-passrole-policy.json``) matters.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["Names", "names"]

#: ELBv2 names are at most 32 characters; ``<prefix>-tg-1`` is the longest suffix we add.
MAX_PREFIX = 32 - len("-tg-1")


@dataclass(frozen=True)
class Names:
    """Resource names for one prefix."""

    prefix: str

    def __post_init__(self) -> None:
        if len(self.prefix) > MAX_PREFIX:
            raise ValueError(
                f"the prefix {self.prefix!r} is too long: load balancer and target group names "
                f"are at most 32 characters, so keep BGKIT_PREFIX to {MAX_PREFIX}"
            )

    @property
    def security_group(self) -> str:
        return f"{self.prefix}-sg"

    @property
    def vpc(self) -> str:
        """The ``Name`` tag of the kit's own VPC (made only where the region has no default)."""
        return f"{self.prefix}-vpc"

    @property
    def load_balancer(self) -> str:
        return f"{self.prefix}-alb"

    @property
    def target_groups(self) -> tuple[str, str]:
        return (f"{self.prefix}-tg-1", f"{self.prefix}-tg-2")

    @property
    def cluster(self) -> str:
        return f"{self.prefix}-cluster"

    @property
    def service(self) -> str:
        return f"{self.prefix}-service"

    @property
    def family(self) -> str:
        """The task definition family; each revision of the app is a revision of it."""
        return f"{self.prefix}-web"

    @property
    def log_group(self) -> str:
        return f"/ecs/{self.prefix}-web"

    @property
    def task_execution_role(self) -> str:
        return f"{self.prefix}-task-execution"

    @property
    def codedeploy_role(self) -> str:
        return f"{self.prefix}-codedeploy"

    @property
    def passrole_policy(self) -> str:
        """The inline policy on the CodeDeploy role that lets it pass the task roles."""
        return f"{self.prefix}-pass-task-roles"

    @property
    def application(self) -> str:
        return f"{self.prefix}-app"

    @property
    def deployment_group(self) -> str:
        return f"{self.prefix}-dg"


def names(kit: Any) -> Names:
    """The names for ``kit``'s prefix (``kit.settings.prefix``)."""
    return Names(kit.settings.prefix)
