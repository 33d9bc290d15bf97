"""EC2 on the local cloud: VPCs (a default one per region, or none), subnets, internet gateways,
route tables, network interfaces, security groups and their rules.

:mod:`.provider` answers the operations; :mod:`.models` is what other services read.
"""
