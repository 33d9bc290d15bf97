"""The AWS permissions the walkthrough needs, one IAM action a line.

:data:`CALLED` is derived from the boto3 calls of :mod:`bgkit.walkthrough` and of the notebooks'
code cells (a test re-derives it from the source, so the two cannot drift apart); :data:`PANEL`
are the buttons of the approval panel and of the pipeline's approval widget; :data:`VIEWS` the
calls of ``bgkit.observe``'s views beyond those (notebook 11's alarm plot); :data:`IMPLIED` are
the permissions AWS checks on the caller behind those calls — tags given at creation, roles
passed to ECS, CodeDeploy and CodePipeline, service-linked roles made on first use, the revision
CodeDeploy registers. The README's *Running on AWS* lists :data:`ACTIONS`; ``bgkit check
--target aws`` asks IAM about each (``iam:SimulatePrincipalPolicy``).

:func:`policy_document` is the policy of a learner: without a prefix, one learner in their own
account (every action on ``*``); with ``prefix=``, one participant of a workshop in a shared
account, who can run the whole walkthrough under that prefix and cannot become admin: roles only
``role/<prefix>-*``, created and given policies only with the facilitator's permissions boundary
(:func:`boundary_document`, what a participant's roles may ever do), passed only to the services
the walkthrough passes them to, attached only the AWS managed policies the walkthrough attaches.
docs/workshop.md (*A participant policy that cannot escalate*) says where a service cannot be
scoped.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = [
    "ACTIONS",
    "ATTACHED_POLICIES",
    "BOUNDARY_NAME",
    "CALLED",
    "IMPLIED",
    "PANEL",
    "PASSED_ROLES",
    "READ_VERBS",
    "ROLE_ACTIONS",
    "VIEWS",
    "boundary_arn",
    "boundary_document",
    "policy_document",
]

#: made by ``bgkit.walkthrough`` and the notebooks (``sts:GetCallerIdentity`` needs no permission,
#: so is left out)
CALLED = (
    "cloudwatch:DeleteAlarms",
    "cloudwatch:DescribeAlarms",
    "cloudwatch:ListTagsForResource",
    "cloudwatch:PutMetricAlarm",
    "codedeploy:BatchGetDeployments",
    "codedeploy:ContinueDeployment",
    "codedeploy:CreateApplication",
    "codedeploy:CreateDeployment",
    "codedeploy:CreateDeploymentConfig",
    "codedeploy:CreateDeploymentGroup",
    "codedeploy:DeleteApplication",
    "codedeploy:DeleteDeploymentConfig",
    "codedeploy:GetApplication",
    "codedeploy:GetDeployment",
    "codedeploy:GetDeploymentConfig",
    "codedeploy:GetDeploymentGroup",
    "codedeploy:GetDeploymentTarget",
    "codedeploy:ListApplications",
    "codedeploy:ListDeploymentGroups",
    "codedeploy:ListDeploymentTargets",
    "codedeploy:ListDeployments",
    "codedeploy:ListTagsForResource",
    "codedeploy:StopDeployment",
    "codedeploy:UpdateDeploymentGroup",
    "codepipeline:CreatePipeline",
    "codepipeline:DeletePipeline",
    "codepipeline:GetPipeline",
    "codepipeline:GetPipelineExecution",
    "codepipeline:GetPipelineState",
    "codepipeline:ListActionExecutions",
    "codepipeline:ListPipelineExecutions",
    "codepipeline:ListPipelines",
    "codepipeline:ListTagsForResource",
    "codepipeline:PutApprovalResult",
    "codepipeline:StartPipelineExecution",
    "ec2:AssociateRouteTable",
    "ec2:AttachInternetGateway",
    "ec2:AuthorizeSecurityGroupIngress",
    "ec2:CreateInternetGateway",
    "ec2:CreateRoute",
    "ec2:CreateRouteTable",
    "ec2:CreateSecurityGroup",
    "ec2:CreateSubnet",
    "ec2:CreateVpc",
    "ec2:DeleteInternetGateway",
    "ec2:DeleteRouteTable",
    "ec2:DeleteSecurityGroup",
    "ec2:DeleteSubnet",
    "ec2:DeleteVpc",
    "ec2:DescribeAvailabilityZones",
    "ec2:DescribeInternetGateways",
    "ec2:DescribeRouteTables",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeSubnets",
    "ec2:DescribeVpcs",
    "ec2:DetachInternetGateway",
    "ec2:DisassociateRouteTable",
    "ec2:ModifySubnetAttribute",
    "ec2:ModifyVpcAttribute",
    "ecs:CreateCluster",
    "ecs:CreateService",
    "ecs:DeleteCluster",
    "ecs:DeleteService",
    "ecs:DeregisterTaskDefinition",
    "ecs:DescribeClusters",
    "ecs:DescribeServiceDeployments",
    "ecs:DescribeServices",
    "ecs:DescribeTaskDefinition",
    "ecs:ListClusters",
    "ecs:ListServices",
    "ecs:ListTaskDefinitions",
    "ecs:RegisterTaskDefinition",
    "ecs:UpdateService",
    "elasticloadbalancing:CreateListener",
    "elasticloadbalancing:CreateLoadBalancer",
    "elasticloadbalancing:CreateRule",
    "elasticloadbalancing:CreateTargetGroup",
    "elasticloadbalancing:DeleteListener",
    "elasticloadbalancing:DeleteLoadBalancer",
    "elasticloadbalancing:DeleteTargetGroup",
    "elasticloadbalancing:DescribeListeners",
    "elasticloadbalancing:DescribeLoadBalancers",
    "elasticloadbalancing:DescribeRules",
    "elasticloadbalancing:DescribeTags",
    "elasticloadbalancing:DescribeTargetGroups",
    "elasticloadbalancing:DescribeTargetHealth",
    "elasticloadbalancing:ModifyTargetGroupAttributes",
    "iam:AttachRolePolicy",
    "iam:CreateRole",
    "iam:DeleteRole",
    "iam:DeleteRolePolicy",
    "iam:DetachRolePolicy",
    "iam:GetPolicy",
    "iam:GetPolicyVersion",
    "iam:GetRole",
    "iam:GetRolePolicy",
    "iam:ListAttachedRolePolicies",
    "iam:ListRolePolicies",
    "iam:ListRoleTags",
    "iam:ListRoles",
    "iam:PutRolePolicy",
    "iam:SimulateCustomPolicy",
    "lambda:CreateFunction",
    "lambda:DeleteFunction",
    "lambda:GetFunctionConfiguration",
    "lambda:ListFunctions",
    "lambda:ListTags",
    "logs:CreateLogGroup",
    "logs:DeleteLogGroup",
    "logs:DescribeLogGroups",
    "logs:FilterLogEvents",
    "logs:ListTagsForResource",
    "logs:PutRetentionPolicy",
    "s3:CreateBucket",
    "s3:DeleteBucket",
    "s3:DeleteObject",
    "s3:DeleteObjectVersion",
    "s3:GetBucketTagging",
    "s3:GetBucketVersioning",
    "s3:GetObject",
    "s3:ListAllMyBuckets",
    "s3:ListBucket",
    "s3:ListBucketVersions",
    "s3:PutBucketTagging",
    "s3:PutBucketVersioning",
    "s3:PutObject",
)

#: the approval panel: *Reroute traffic*, *Terminate original task set now*, *Stop and roll back*;
#: the pipeline's approval widget: *Approve* and *Reject*; the ECS built-in approval panel:
#: *Continue* and *Roll back*
PANEL = (
    "codedeploy:ContinueDeployment",
    "codedeploy:StopDeployment",
    "codepipeline:PutApprovalResult",
    "ecs:ContinueServiceDeployment",
    "ecs:StopServiceDeployment",
)

#: the views of ``bgkit.observe`` the notebooks call beyond those (notebook 11's alarm plot)
VIEWS = (
    "cloudwatch:DescribeAlarmHistory",
    "cloudwatch:GetMetricStatistics",
)

#: checked by AWS behind the calls above
IMPLIED = (
    "cloudwatch:TagResource",  # PutMetricAlarm with tags (PutMetricAlarm's API reference)
    "codedeploy:GetDeploymentConfig",  # CreateDeployment reads the deployment configuration
    "codedeploy:RegisterApplicationRevision",  # CreateDeployment registers the AppSpec revision
    "codedeploy:TagResource",  # CreateApplication with tags
    "codepipeline:TagResource",  # CreatePipeline with tags
    "ec2:CreateTags",  # CreateSecurityGroup, CreateVpc … with TagSpecifications
    "ecs:TagResource",  # CreateCluster, RegisterTaskDefinition, CreateService with tags
    "elasticloadbalancing:AddTags",  # CreateLoadBalancer, CreateTargetGroup, CreateListener
    "iam:CreateServiceLinkedRole",  # ECS and ELB make their service-linked roles on first use
    # the task execution role (ECS), the CodeDeploy role (deployment group), the pipeline role
    # (CreatePipeline passes it to codepipeline.amazonaws.com), the hook's role (CreateFunction)
    "iam:PassRole",
    "iam:TagRole",  # CreateRole with tags
    "lambda:TagResource",  # CreateFunction with tags (Lambda's "Using tags on Lambda functions")
    "logs:TagResource",  # CreateLogGroup with tags
)

ACTIONS: tuple[str, ...] = tuple(sorted({*CALLED, *PANEL, *VIEWS, *IMPLIED}))


#: the AWS managed policies the walkthrough attaches to its roles (``AttachRolePolicy``)
ATTACHED_POLICIES = (
    "arn:aws:iam::aws:policy/AWSCodeDeployRoleForECSLimited",
    "arn:aws:iam::aws:policy/AmazonECSInfrastructureRolePolicyForLoadBalancers",
    "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
    "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy",
)
#: the walkthrough's roles (after ``<prefix>-``) and the one service each is passed to
PASSED_ROLES = {
    "task-execution": "ecs-tasks.amazonaws.com",  # RegisterTaskDefinition (executionRoleArn)
    "codedeploy": "codedeploy.amazonaws.com",  # CreateDeploymentGroup (serviceRoleArn)
    "ecs-infrastructure": "ecs.amazonaws.com",  # CreateService (built-in blue/green, notebook 09)
    "codepipeline": "codepipeline.amazonaws.com",  # CreatePipeline (roleArn, notebook 12)
    "validate": "lambda.amazonaws.com",  # CreateFunction (Role, notebook 10's hook)
}
#: what a participant's roles may ever do: the actions of the policies the walkthrough gives
#: its roles (``data/iam``: the AWS managed ones above, the pipeline's and the validation hook's)
ROLE_ACTIONS = (
    "cloudwatch:DescribeAlarms",
    "codedeploy:CreateDeployment",
    "codedeploy:GetApplication",
    "codedeploy:GetApplicationRevision",
    "codedeploy:GetDeployment",
    "codedeploy:GetDeploymentConfig",
    "codedeploy:PutLifecycleEventHookExecutionStatus",
    "codedeploy:RegisterApplicationRevision",
    "ecr:BatchCheckLayerAvailability",
    "ecr:BatchGetImage",
    "ecr:GetAuthorizationToken",
    "ecr:GetDownloadUrlForLayer",
    "ecs:CreateTaskSet",
    "ecs:DeleteTaskSet",
    "ecs:DescribeServices",
    "ecs:RegisterTaskDefinition",
    "ecs:TagResource",
    "ecs:UpdateServicePrimaryTaskSet",
    "elasticloadbalancing:DeregisterTargets",
    "elasticloadbalancing:DescribeListeners",
    "elasticloadbalancing:DescribeRules",
    "elasticloadbalancing:DescribeTargetGroups",
    "elasticloadbalancing:DescribeTargetHealth",
    "elasticloadbalancing:ModifyListener",
    "elasticloadbalancing:ModifyRule",
    "elasticloadbalancing:RegisterTargets",
    "lambda:InvokeFunction",
    "logs:CreateLogGroup",
    "logs:CreateLogStream",
    "logs:PutLogEvents",
    "s3:GetBucketVersioning",
    "s3:GetObject",
    "s3:GetObjectVersion",
    "s3:PutObject",
    "sns:Publish",
)
#: the facilitator's permissions boundary, one for the room (``bgkit workshop``)
BOUNDARY_NAME = "bgkit-workshop-boundary"

#: a participant's IAM actions on their own roles (``role/<prefix>-*``) that need no condition
_OWN_ROLE_ACTIONS = (
    "iam:DeleteRole",
    "iam:DeleteRolePolicy",
    "iam:DetachRolePolicy",
    "iam:GetRole",
    "iam:GetRolePolicy",
    "iam:ListAttachedRolePolicies",
    "iam:ListRolePolicies",
    "iam:ListRoleTags",
    "iam:TagRole",
)
#: IAM actions that read only, or act on no resource of anyone's
_IAM_READS = ("iam:GetPolicy", "iam:GetPolicyVersion", "iam:ListRoles", "iam:SimulateCustomPolicy")


#: read-only verbs whose actions a participant policy grants by wildcard (``ecs:Describe*``), so
#: that it stays within IAM's 6,144 characters of a managed policy
READ_VERBS = ("BatchGet", "Describe", "Get", "List")


def _reads_by_verb(actions: Iterable[str]) -> list[str]:
    """``actions`` with each read (``service:Describe…``) folded into ``service:Describe*``."""
    folded = set()
    for action in actions:
        service, name = action.split(":", 1)
        verb = next((v for v in READ_VERBS if name.startswith(v)), None)
        folded.add(f"{service}:{verb}*" if verb else action)
    return sorted(folded)


def boundary_arn(account: str = "*") -> str:
    """The ARN of the workshop's permissions boundary (``*``: in any account, as a pattern)."""
    return f"arn:aws:iam::{account}:policy/{BOUNDARY_NAME}"


def boundary_document() -> dict[str, object]:
    """The permissions boundary of every participant's role: :data:`ROLE_ACTIONS`, and passing a
    role only to ECS tasks (CodeDeploy and CodePipeline pass the task execution role)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "WhatTheWalkthroughsRolesDo", "Effect": "Allow",
             "Action": list(ROLE_ACTIONS), "Resource": "*"},
            {"Sid": "PassTaskRolesToEcsTasksOnly", "Effect": "Allow", "Action": "iam:PassRole",
             "Resource": "*",
             "Condition": {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}},
        ],
    }  # fmt: skip


def policy_document(prefix: str | None = None, *, boundary: str | None = None) -> dict[str, object]:
    """The IAM policy of a learner.

    Args:
        prefix: ``None`` for one learner in their own account: :data:`ACTIONS` on ``*``, which
            lets them create any role (fine for an account that is theirs alone). A workshop
            participant's prefix (``BGKIT_PREFIX``) for a shared account: the walkthrough's
            actions, with IAM scoped to ``role/<prefix>-*`` and the facilitator's boundary.
        boundary: the boundary's ARN (default :func:`boundary_arn` in any account).
    """
    if prefix is None:
        return {
            "Version": "2012-10-17",
            "Statement": [{"Sid": "BgkitWalkthrough", "Effect": "Allow",
                           "Action": list(ACTIONS), "Resource": "*"}],
        }  # fmt: skip
    boundary = boundary or boundary_arn()
    roles = f"arn:aws:iam::*:role/{prefix}-*"
    bounded = {"ArnEquals": {"iam:PermissionsBoundary": boundary}}
    others = _reads_by_verb(a for a in ACTIONS if not a.startswith("iam:"))
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "TheWalkthroughOutsideIam", "Effect": "Allow", "Action": others,
             "Resource": "*"},
            {"Sid": "ReadIam", "Effect": "Allow", "Action": list(_IAM_READS), "Resource": "*"},
            {"Sid": "OwnRoles", "Effect": "Allow", "Action": list(_OWN_ROLE_ACTIONS),
             "Resource": roles},
            {"Sid": "CreateOwnRolesWithTheBoundary", "Effect": "Allow",
             "Action": ["iam:CreateRole", "iam:PutRolePolicy"], "Resource": roles,
             "Condition": bounded},
            {"Sid": "AttachTheWalkthroughsPoliciesWithTheBoundary", "Effect": "Allow",
             "Action": "iam:AttachRolePolicy", "Resource": roles,
             "Condition": {**bounded,
                           "ArnEquals": {**bounded["ArnEquals"],
                                         "iam:PolicyARN": list(ATTACHED_POLICIES)}}},
            *({"Sid": f"Pass{''.join(w.title() for w in name.split('-'))}Role",
               "Effect": "Allow", "Action": "iam:PassRole",
               "Resource": f"arn:aws:iam::*:role/{prefix}-{name}",
               "Condition": {"StringEquals": {"iam:PassedToService": service}}}
              for name, service in PASSED_ROLES.items()),
            {"Sid": "ServiceLinkedRolesOfEcsAndElb", "Effect": "Allow",
             "Action": "iam:CreateServiceLinkedRole",
             "Resource": "arn:aws:iam::*:role/aws-service-role/*",
             "Condition": {"StringEquals": {"iam:AWSServiceName": [
                 "ecs.amazonaws.com", "elasticloadbalancing.amazonaws.com"]}}},
            {"Sid": "NeverChangeTheBoundary", "Effect": "Deny",
             "Action": ["iam:CreatePolicyVersion", "iam:DeletePolicy",
                        "iam:DeletePolicyVersion", "iam:SetDefaultPolicyVersion",
                        "iam:TagPolicy", "iam:UntagPolicy"],
             "Resource": boundary},
            {"Sid": "NeverRemoveABoundary", "Effect": "Deny",
             "Action": ["iam:DeleteRolePermissionsBoundary",
                        "iam:DeleteUserPermissionsBoundary"], "Resource": "*"},
        ],
    }  # fmt: skip
