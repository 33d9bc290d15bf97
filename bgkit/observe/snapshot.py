"""One read of everything a deployment panel shows: a snapshot per refresh, in few API calls.

A panel refreshes for as long as a deployment runs, and thirty panels may share one account
(``docs/api-budget.md``). So each refresh is one snapshot, read with what the APIs batch, and
what never changes during a deployment is read once and kept:

- :class:`DeploymentReader` (a CodeDeploy deployment), **4 calls** a refresh:
  ``GetDeployment``; ``GetDeploymentTarget`` (an ECS deployment has one target, its ID
  ``<cluster>:<service>``; ``ListDeploymentTargets`` only if that guess is refused);
  ``DescribeListeners`` of the load balancer (the production and test listeners' weights);
  ``DescribeServices`` (the task sets: task definition, running count). Read once: the load
  balancer's ARN, the target groups' names, the AppSpec's hooks (``GetApplicationRevision``),
  each task definition's revision tag.
- :class:`ServiceDeploymentReader` (an ECS built-in blue/green deployment), **2 calls** a
  refresh: ``DescribeServiceDeployments`` (status, lifecycle stage, hooks and their status, each
  revision's requested traffic and task counts) and ``DescribeRules`` of the production and test
  listener rules together (the weights the load balancer applies). Read once: the service's
  ``advancedConfiguration`` (``DescribeServices``), the rules' listener ports
  (``DescribeListeners``), each service revision's task definition
  (``DescribeServiceRevisions``) and its revision tag.

The clients have botocore's adaptive retry mode (:mod:`bgkit.observe.pace`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bgkit.observe.pace import panel_clients
from bgkit.observe.topology import revision_of
from bgkit.walkthrough.naming import names

__all__ = [
    "DeploymentReader",
    "DeploymentSnapshot",
    "ServiceDeploymentReader",
    "ServiceDeploymentSnapshot",
    "group_name",
]


def group_name(arn: str) -> str:
    """A target group's name from its ARN (``…:targetgroup/<name>/<id>``)."""
    return arn.split(":targetgroup/", 1)[-1].split("/", 1)[0]


@dataclass(frozen=True)
class DeploymentSnapshot:
    """What a CodeDeploy deployment looks like at one moment."""

    #: ``GetDeployment``'s ``deploymentInfo``
    info: dict[str, Any]
    #: ``GetDeploymentTarget``'s ``ecsTarget``, ``None`` before the deployment starts
    target: dict[str, Any] | None
    #: ``DescribeListeners``' listeners of the load balancer
    listeners: list[dict[str, Any]]
    #: ``DescribeServices``' task sets of the service
    task_sets: list[dict[str, Any]]
    #: target group ARN → name
    group_names: dict[str, str] = field(default_factory=dict)
    #: task definition ARN → revision
    revisions: dict[str, str] = field(default_factory=dict)
    #: lifecycle event → the AppSpec's Lambda function
    hooks: dict[str, str] = field(default_factory=dict)


class DeploymentReader:
    """Reads :class:`DeploymentSnapshot` of one CodeDeploy deployment.

    Args:
        kit: the handle of :func:`bgkit.connect`.
        deployment_id: the deployment.
        hooks: reads ``{lifecycle event: function}`` from the CodeDeploy client and
            ``deploymentInfo`` (called once).
    """

    def __init__(self, kit: Any, deployment_id: str, hooks: Any) -> None:
        self.deployment_id = deployment_id
        self.codedeploy, self.elbv2, self.ecs = panel_clients(kit, "codedeploy", "elbv2", "ecs")
        self._names = names(kit)
        self._read_hooks = hooks
        self._target_id = f"{self._names.cluster}:{self._names.service}"
        self._listed = False
        self._load_balancer: str | None = None
        self._groups: dict[str, str] | None = None
        self._hooks: dict[str, str] | None = None

    def read(self) -> DeploymentSnapshot:
        """One snapshot: four calls, plus once-only reads the first time."""
        info = self.codedeploy.get_deployment(deploymentId=self.deployment_id)["deploymentInfo"]
        target = self._target()
        listeners = self.elbv2.describe_listeners(LoadBalancerArn=self._balancer())["Listeners"]
        found = self.ecs.describe_services(
            cluster=self._names.cluster, services=[self._names.service]
        )["services"]
        service = next((s for s in found if s.get("status") == "ACTIVE"), None)
        task_sets = service.get("taskSets", []) if service else []
        if self._hooks is None:
            self._hooks = self._read_hooks(self.codedeploy, info)
        return DeploymentSnapshot(
            info=info,
            target=target,
            listeners=listeners,
            task_sets=task_sets,
            group_names=self._group_names(),
            revisions={
                t["taskDefinition"]: revision_of(self.ecs, t["taskDefinition"]) for t in task_sets
            },
            hooks=self._hooks,
        )

    def deployment(self, deployment_id: str) -> dict[str, Any]:
        """``GetDeployment`` of another deployment (a rollback's), with the panel's client."""
        return self.codedeploy.get_deployment(deploymentId=deployment_id)["deploymentInfo"]

    def _target(self) -> dict[str, Any] | None:
        codedeploy = self.codedeploy
        try:
            found = codedeploy.get_deployment_target(
                deploymentId=self.deployment_id, targetId=self._target_id
            )
        except codedeploy.exceptions.DeploymentNotStartedException:
            return None
        except (
            codedeploy.exceptions.DeploymentTargetDoesNotExistException,
            codedeploy.exceptions.InvalidDeploymentTargetIdException,
        ):
            if self._listed:
                raise
            self._listed = True  # not <cluster>:<service>: ask once which target it is
            ids = codedeploy.list_deployment_targets(deploymentId=self.deployment_id)["targetIds"]
            if not ids:
                return None
            self._target_id = ids[0]
            return self._target()
        return found["deploymentTarget"].get("ecsTarget")

    def _balancer(self) -> str:
        if self._load_balancer is None:
            found = self.elbv2.describe_load_balancers(Names=[self._names.load_balancer])
            self._load_balancer = found["LoadBalancers"][0]["LoadBalancerArn"]
        return self._load_balancer

    def _group_names(self) -> dict[str, str]:
        if self._groups is None:
            found = self.elbv2.describe_target_groups(Names=list(self._names.target_groups))
            groups = found["TargetGroups"]
            self._groups = {g["TargetGroupArn"]: g["TargetGroupName"] for g in groups}
        return self._groups


@dataclass(frozen=True)
class ServiceDeploymentSnapshot:
    """What an ECS built-in blue/green service deployment looks like at one moment."""

    #: ``DescribeServiceDeployments``' service deployment
    deployment: dict[str, Any]
    #: ``DescribeRules``' production and test listener rules
    rules: list[dict[str, Any]]
    #: rule ARN → the port of its listener
    ports: dict[str, int]
    #: service revision ARN → ``{"taskDefinition": …, "revision": …}``
    revisions: dict[str, dict[str, str]]
    #: the service's two target groups' ARNs: ``targetGroupArn``, ``alternateTargetGroupArn``
    groups: tuple[str, ...] = ()
    #: the production listener rule's ARN (the other rule is the test rule)
    production_rule: str = ""


class ServiceDeploymentReader:
    """Reads :class:`ServiceDeploymentSnapshot` of one ECS service deployment.

    Args:
        kit: the handle of :func:`bgkit.connect`.
        arn: the service deployment's ARN.
    """

    def __init__(self, kit: Any, arn: str) -> None:
        self.arn = arn
        self.ecs, self.elbv2 = panel_clients(kit, "ecs", "elbv2")
        self._rules: list[str] | None = None
        self._groups: tuple[str, ...] = ()
        self._ports: dict[str, int] = {}
        self._revisions: dict[str, dict[str, str]] = {}

    def read(self) -> ServiceDeploymentSnapshot:
        """One snapshot: two calls, plus once-only reads the first time."""
        found = self.ecs.describe_service_deployments(serviceDeploymentArns=[self.arn])
        if not found["serviceDeployments"]:
            failure = (found.get("failures") or [{}])[0]
            raise LookupError(
                f"no service deployment {self.arn}: {failure.get('reason', 'not found')}"
            )
        deployment = found["serviceDeployments"][0]
        if self._rules is None:
            self._advanced(deployment)
        rules = self.elbv2.describe_rules(RuleArns=self._rules)["Rules"] if self._rules else []
        self._learn_revisions(deployment)
        return ServiceDeploymentSnapshot(
            deployment=deployment,
            rules=rules,
            ports=dict(self._ports),
            revisions=dict(self._revisions),
            groups=self._groups,
            production_rule=self._rules[0] if self._rules else "",
        )

    def _advanced(self, deployment: dict[str, Any]) -> None:
        """The rules and target groups of the service's ``advancedConfiguration``, and the
        ports of the rules' listeners (once: a deployment does not change them)."""
        service = self.ecs.describe_services(
            cluster=deployment["clusterArn"], services=[deployment["serviceArn"]]
        )["services"][0]
        balancer = next(
            (b for b in service.get("loadBalancers", []) if b.get("advancedConfiguration")), {}
        )
        advanced = balancer.get("advancedConfiguration", {})
        roles = ("productionListenerRule", "testListenerRule")
        rules = [advanced[role] for role in roles if role in advanced]
        self._groups = tuple(
            arn for arn in (balancer.get("targetGroupArn"), advanced.get("alternateTargetGroupArn"))
            if arn
        )  # fmt: skip
        listeners = {rule: _listener_of(rule) for rule in rules}
        if listeners:
            described = self.elbv2.describe_listeners(ListenerArns=sorted(set(listeners.values())))
            port = {item["ListenerArn"]: item["Port"] for item in described["Listeners"]}
            self._ports = {rule: port[listener] for rule, listener in listeners.items()}
        self._rules = rules

    def _learn_revisions(self, deployment: dict[str, Any]) -> None:
        """The task definition and revision of each service revision not seen yet (service
        revisions never change)."""
        summaries = [*deployment.get("sourceServiceRevisions", [])]
        if deployment.get("targetServiceRevision"):
            summaries.append(deployment["targetServiceRevision"])
        unknown = [s["arn"] for s in summaries if s.get("arn") and s["arn"] not in self._revisions]
        if not unknown:
            return
        found = self.ecs.describe_service_revisions(serviceRevisionArns=unknown)
        for revision in found["serviceRevisions"]:
            definition = revision["taskDefinition"]
            self._revisions[revision["serviceRevisionArn"]] = {
                "taskDefinition": definition,
                "revision": revision_of(self.ecs, definition),
            }


def _listener_of(rule_arn: str) -> str:
    """The listener ARN of a listener rule's ARN (``…:listener-rule/app/<lb>/<id>/<listener
    id>/<rule id>`` → ``…:listener/app/<lb>/<id>/<listener id>``)."""
    head, _, rest = rule_arn.partition(":listener-rule/")
    return f"{head}:listener/{rest.rsplit('/', 1)[0]}"
