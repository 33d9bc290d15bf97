"""ELBv2 on the local cloud: load balancers, listeners, rules, target groups and targets.

:mod:`.provider` answers the operations; :mod:`.models` is what other services and the data
plane read.
"""
