"""STS through a real boto3 client: who the caller is."""

from __future__ import annotations


def test_get_caller_identity_is_the_local_root_user(client):
    identity = client("sts").get_caller_identity()
    assert identity["Account"] == "123456789012"
    assert identity["UserId"] == "123456789012"
    assert identity["Arn"] == "arn:aws:iam::123456789012:root"


def test_get_caller_identity_is_the_same_in_every_region(client):
    east = client("sts").get_caller_identity()
    west = client("sts", region="eu-west-1").get_caller_identity()
    assert (east["Account"], east["Arn"]) == (west["Account"], west["Arn"])
