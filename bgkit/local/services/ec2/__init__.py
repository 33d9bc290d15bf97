"""EC2 on the local cloud: default VPC, subnets, security groups and their rules.

:mod:`.provider` answers the operations; :mod:`.models` is what other services read.
"""
