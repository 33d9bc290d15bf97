"""Every ARN names its region's partition, and host names carry the partition's DNS suffix.

AWS General Reference, "Amazon Resource Names": ``arn:partition:service:region:account:resource``
where the partition is ``aws`` for the commercial regions, ``aws-cn`` for the China regions and
``aws-us-gov`` for AWS GovCloud (US). Which partition a region belongs to, and its DNS suffix
(``amazonaws.com.cn`` in China), is botocore's partition data (``botocore/data/partitions.json``,
read by its endpoint rules' ``aws.partition``). The clients below are real boto3 clients signing
for the region against a running local cloud.
"""

from __future__ import annotations

import json

import pytest
from lambda_world import make_function, make_role

from bgkit.local.ids import arn, dns_suffix, partition

pytestmark = pytest.mark.control_plane

REGIONS = [("cn-north-1", "aws-cn"), ("cn-northwest-1", "aws-cn"), ("us-gov-west-1", "aws-us-gov")]
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "codedeploy.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}


@pytest.mark.parametrize(
    ("region", "expected"),
    [
        ("us-east-1", "aws"),
        ("cn-north-1", "aws-cn"),
        ("cn-northwest-1", "aws-cn"),
        ("us-gov-west-1", "aws-us-gov"),
        ("us-iso-east-1", "aws-iso"),
        ("us-isob-east-1", "aws-iso-b"),
    ],
)
def test_a_region_belongs_to_the_partition_botocore_resolves_it_to(region, expected):
    assert partition(region) == expected
    assert arn("ecs", region, "cluster/c").startswith(f"arn:{expected}:ecs:{region}:")


def test_a_global_arn_takes_the_partition_of_the_call_region():
    made = arn("iam", "", "role/r", partition_of="cn-north-1")
    assert made == "arn:aws-cn:iam::123456789012:role/r"


def test_the_dns_suffix_is_the_partition_s():
    assert dns_suffix("cn-north-1") == "amazonaws.com.cn"
    assert dns_suffix("us-gov-west-1") == "amazonaws.com"
    assert dns_suffix("us-east-1") == "amazonaws.com"


@pytest.mark.parametrize(("region", "expected"), REGIONS)
def test_ecs_and_logs_arns_name_the_partition(client, region, expected):
    ecs, logs = client("ecs", region=region), client("logs", region=region)
    cluster = ecs.create_cluster(clusterName="bgkit")["cluster"]["clusterArn"]
    assert cluster == f"arn:{expected}:ecs:{region}:123456789012:cluster/bgkit"
    definition = ecs.register_task_definition(
        family="web", containerDefinitions=[{"name": "web", "image": "nginx", "memory": 128}]
    )["taskDefinition"]
    assert definition["taskDefinitionArn"].startswith(f"arn:{expected}:ecs:{region}:")
    assert definition["registeredBy"] == f"arn:{expected}:iam::123456789012:root"
    # the ARN the local cloud handed out names the resource back
    assert ecs.describe_clusters(clusters=[cluster])["clusters"][0]["clusterName"] == "bgkit"
    logs.create_log_group(logGroupName="/ecs/web")
    group = logs.describe_log_groups()["logGroups"][0]
    assert group["arn"] == f"arn:{expected}:logs:{region}:123456789012:log-group:/ecs/web:*"


@pytest.mark.parametrize(("region", "expected"), REGIONS)
def test_load_balancer_arns_and_dns_names_name_the_partition(client, region, expected):
    ec2, elbv2 = client("ec2", region=region), client("elbv2", region=region)
    subnets = [s["SubnetId"] for s in ec2.describe_subnets()["Subnets"]][:2]
    group = ec2.describe_security_groups()["SecurityGroups"][0]
    assert group["SecurityGroupArn"].startswith(f"arn:{expected}:ec2:{region}:")
    balancer = elbv2.create_load_balancer(Name="bgkit-alb", Subnets=subnets)["LoadBalancers"][0]
    assert balancer["LoadBalancerArn"].startswith(
        f"arn:{expected}:elasticloadbalancing:{region}:123456789012:loadbalancer/app/bgkit-alb/"
    )
    assert balancer["DNSName"].endswith(f".{region}.elb.{dns_suffix(region)}")
    target_group = elbv2.create_target_group(
        Name="bgkit-1", Protocol="HTTP", Port=80, VpcId=balancer["VpcId"], TargetType="ip"
    )["TargetGroups"][0]
    assert target_group["TargetGroupArn"].startswith(f"arn:{expected}:elasticloadbalancing:")


def test_the_china_alb_dns_name_ends_in_amazonaws_com_cn(client):
    # Elastic Load Balancing endpoints (AWS General Reference): cn-north-1's ALBs are
    # ``<name>-<id>.cn-north-1.elb.amazonaws.com.cn`` in hosted zone Z1GDH35T77C1KE
    ec2, elbv2 = client("ec2", region="cn-north-1"), client("elbv2", region="cn-north-1")
    subnets = [s["SubnetId"] for s in ec2.describe_subnets()["Subnets"]][:2]
    balancer = elbv2.create_load_balancer(Name="bgkit-alb", Subnets=subnets)["LoadBalancers"][0]
    assert balancer["DNSName"].endswith(".cn-north-1.elb.amazonaws.com.cn")
    assert balancer["CanonicalHostedZoneId"] == "Z1GDH35T77C1KE"


@pytest.mark.parametrize(("region", "expected"), REGIONS)
def test_iam_sts_and_codedeploy_name_the_partition_of_the_call(client, region, expected):
    iam, sts = client("iam", region=region), client("sts", region=region)
    role = iam.create_role(RoleName="bgkit-codedeploy", AssumeRolePolicyDocument=json.dumps(TRUST))
    assert role["Role"]["Arn"] == f"arn:{expected}:iam::123456789012:role/bgkit-codedeploy"
    assert sts.get_caller_identity()["Arn"] == f"arn:{expected}:iam::123456789012:root"
    codedeploy = client("codedeploy", region=region)
    codedeploy.create_application(applicationName="bgkit", computePlatform="ECS")
    # a role ARN of the call's partition is a role ARN, not "an invalid format"
    with pytest.raises(codedeploy.exceptions.ClientError) as caught:
        codedeploy.create_deployment_group(
            applicationName="bgkit",
            deploymentGroupName="bgkit",
            serviceRoleArn=role["Role"]["Arn"],
            deploymentStyle={
                "deploymentType": "BLUE_GREEN",
                "deploymentOption": "WITH_TRAFFIC_CONTROL",
            },
        )
    assert "invalid format" not in caught.value.response["Error"]["Message"]


def test_an_s3_bucket_arn_names_the_partition(client):
    s3 = client("s3", region="cn-north-1")
    made = s3.create_bucket(
        Bucket="bgkit-source", CreateBucketConfiguration={"LocationConstraint": "cn-north-1"}
    )
    assert made["BucketArn"] == "arn:aws-cn:s3:::bgkit-source"


def test_a_lambda_function_and_its_policy_name_the_partition(client):
    role = make_role(client("iam", region="cn-north-1"))
    assert role.startswith("arn:aws-cn:iam::")
    lam = client("lambda", region="cn-north-1")
    made = make_function(lam, role)
    assert made["FunctionArn"].startswith("arn:aws-cn:lambda:cn-north-1:123456789012:function:")
    lam.add_permission(
        FunctionName="bgkit-fn",
        StatementId="other-account",
        Action="lambda:InvokeFunction",
        Principal="210987654321",
    )
    policy = json.loads(lam.get_policy(FunctionName="bgkit-fn")["Policy"])
    principal = policy["Statement"][0]["Principal"]
    assert principal == {"AWS": "arn:aws-cn:iam::210987654321:root"}
