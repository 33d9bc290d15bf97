"""ECS on the local cloud: clusters, task definitions, services, task sets, tasks, and the
built-in blue/green deployments (:mod:`.bluegreen`).

:mod:`.provider` answers the operations; :mod:`.models` is what other services and the data
plane read.
"""
