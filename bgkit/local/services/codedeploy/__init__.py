"""CodeDeploy on the local cloud, for ECS blue/green deployments.

:mod:`.provider` answers the operations; :mod:`.engine` runs the deployment lifecycle;
:mod:`.models` is what other services read.
"""
