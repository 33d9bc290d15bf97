"""The walkthrough's steps as small get-or-create functions of plain boto3.

Each function takes the handle of :func:`bgkit.connect` (anything with ``client(name)`` and
``settings``), tags what it creates (:mod:`.tags`), names it after the participant prefix
(:mod:`.naming`), and gives back what AWS answered. Nothing here knows which target it talks to.

=======================  ==========================================================
notebook                 functions
=======================  ==========================================================
01 prepare               :func:`prepare` or, step by step, :func:`default_network`,
                         :func:`security_group`, :func:`load_balancer`,
                         :func:`target_groups`, :func:`listeners`, :func:`cluster`,
                         :func:`task_execution_role`, :func:`log_group`,
                         :func:`task_definition`
02 CodeDeploy role       :func:`codedeploy_role`, :func:`pass_role_frame`
03 service               :func:`service`, :func:`wait_service_healthy`
04 CodeDeploy            :func:`application`, :func:`deployment_group`
05/06 deployments        :func:`create_deployment`, :func:`wait_deployment`
08 gradual shifts        :func:`wait_green_weight`
09 ECS built-in          :mod:`.builtin`: :func:`infrastructure_role`, :func:`listener_rules`,
                         :func:`builtin_service`, :func:`wait_builtin_service`,
                         :func:`deploy_builtin`, :func:`wait_service_deployment`
10 validation hook       :mod:`.hooks`: ``function_role``, ``function_name``, ``package``,
                         ``test_url``, ``hook_appspec``, ``function_log``
11 alarm rollback        :mod:`.alarms`: :func:`alarm_name`, :func:`target_group_dimensions`,
                         :func:`alarm_state`, :func:`wait_alarm`
12 pipeline              :mod:`.pipeline`
07 clean up              :func:`created_resources`, :func:`clean_up`
=======================  ==========================================================

Notebooks 01, 03, 04 and 05 show their create requests as plain boto3 calls, guarded by
:mod:`.existing` (the *get* of get-or-create); :mod:`.tags` gives the kit's tags in each of AWS's
spellings; :mod:`.network` makes the kit's own VPC where a region has no default one. The
functions above make the same requests for the notebooks that come later.
"""

from __future__ import annotations

from bgkit.walkthrough import existing, hooks, network, tags
from bgkit.walkthrough.alarms import alarm_name, alarm_state, target_group_dimensions, wait_alarm
from bgkit.walkthrough.builtin import (
    awaiting_hook,
    builtin_service,
    deploy_builtin,
    infrastructure_role,
    listener_rules,
    service_deployment,
    wait_builtin_service,
    wait_service_deployment,
)
from bgkit.walkthrough.cleanup import clean_up, created_resources
from bgkit.walkthrough.codedeploy import application, deployment_group
from bgkit.walkthrough.deploy import (
    DeploymentFailed,
    appspec,
    create_deployment,
    deployment,
    deployment_target,
    phase,
    wait_deployment,
    wait_green_weight,
)
from bgkit.walkthrough.naming import Names, names
from bgkit.walkthrough.order import RunFirst, require
from bgkit.walkthrough.prerequisites import (
    Prerequisites,
    cluster,
    default_network,
    document,
    listeners,
    load_balancer,
    log_group,
    prepare,
    security_group,
    target_groups,
    task_definition,
    task_execution_role,
    wait_load_balancer_active,
)
from bgkit.walkthrough.progress import Step, WaitTimeout, poll
from bgkit.walkthrough.role import codedeploy_role, pass_role_frame, role_policies
from bgkit.walkthrough.service import describe_service, service, wait_service_healthy
from bgkit.walkthrough.setup import check_setup

__all__ = [
    "DeploymentFailed",
    "Names",
    "Prerequisites",
    "RunFirst",
    "Step",
    "WaitTimeout",
    "alarm_name",
    "alarm_state",
    "application",
    "appspec",
    "awaiting_hook",
    "builtin_service",
    "check_setup",
    "clean_up",
    "cluster",
    "codedeploy_role",
    "create_deployment",
    "created_resources",
    "default_network",
    "deploy_builtin",
    "deployment",
    "deployment_group",
    "deployment_target",
    "describe_service",
    "document",
    "existing",
    "hooks",
    "infrastructure_role",
    "listener_rules",
    "listeners",
    "load_balancer",
    "log_group",
    "names",
    "network",
    "pass_role_frame",
    "phase",
    "poll",
    "prepare",
    "require",
    "role_policies",
    "security_group",
    "service",
    "service_deployment",
    "tags",
    "target_group_dimensions",
    "target_groups",
    "task_definition",
    "task_execution_role",
    "wait_alarm",
    "wait_builtin_service",
    "wait_deployment",
    "wait_green_weight",
    "wait_load_balancer_active",
    "wait_service_deployment",
    "wait_service_healthy",
]
