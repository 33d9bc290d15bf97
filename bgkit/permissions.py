"""The AWS permissions the walkthrough needs, one IAM action a line.

:data:`CALLED` is derived from the boto3 calls of :mod:`bgkit.walkthrough` and of the notebooks'
code cells (a test re-derives it from the source, so the two cannot drift apart); :data:`PANEL`
are the buttons of the approval panel and of the pipeline's approval widget; :data:`IMPLIED` are
the permissions AWS checks on the caller behind those calls — tags given at creation, roles
passed to ECS, CodeDeploy and CodePipeline, service-linked roles made on first use, the revision
CodeDeploy registers. The README's *Running on AWS* lists :data:`ACTIONS`; ``bgkit check
--target aws`` asks IAM about each (``iam:SimulatePrincipalPolicy``).
"""

from __future__ import annotations

__all__ = ["ACTIONS", "CALLED", "IMPLIED", "PANEL", "policy_document"]

#: made by ``bgkit.walkthrough`` and the notebooks (``sts:GetCallerIdentity`` needs no permission,
#: so is left out)
CALLED = (
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
    "ec2:AuthorizeSecurityGroupIngress",
    "ec2:CreateSecurityGroup",
    "ec2:DeleteSecurityGroup",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeSubnets",
    "ec2:DescribeVpcs",
    "ecs:ContinueServiceDeployment",
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
    "logs:CreateLogGroup",
    "logs:DeleteLogGroup",
    "logs:DescribeLogGroups",
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
#: the pipeline's approval widget: *Approve* and *Reject*
PANEL = (
    "codedeploy:ContinueDeployment",
    "codedeploy:StopDeployment",
    "codepipeline:PutApprovalResult",
)

#: checked by AWS behind the calls above
IMPLIED = (
    "codedeploy:GetDeploymentConfig",  # CreateDeployment reads the deployment configuration
    "codedeploy:RegisterApplicationRevision",  # CreateDeployment registers the AppSpec revision
    "codedeploy:TagResource",  # CreateApplication with tags
    "codepipeline:TagResource",  # CreatePipeline with tags
    "ec2:CreateTags",  # CreateSecurityGroup with TagSpecifications
    "ecs:TagResource",  # CreateCluster, RegisterTaskDefinition, CreateService with tags
    "elasticloadbalancing:AddTags",  # CreateLoadBalancer, CreateTargetGroup, CreateListener
    "iam:CreateServiceLinkedRole",  # ECS and ELB make their service-linked roles on first use
    # the task execution role (ECS), the CodeDeploy role (deployment group), the pipeline role
    # (CreatePipeline passes it to codepipeline.amazonaws.com)
    "iam:PassRole",
    "iam:TagRole",  # CreateRole with tags
    "logs:TagResource",  # CreateLogGroup with tags
)

ACTIONS: tuple[str, ...] = tuple(sorted({*CALLED, *PANEL, *IMPLIED}))


def policy_document() -> dict[str, object]:
    """An IAM policy allowing :data:`ACTIONS` (on ``*``: tighten it to the prefix if you can)."""
    return {
        "Version": "2012-10-17",
        "Statement": [{"Sid": "BgkitWalkthrough", "Effect": "Allow", "Action": list(ACTIONS),
                       "Resource": "*"}],
    }  # fmt: skip
