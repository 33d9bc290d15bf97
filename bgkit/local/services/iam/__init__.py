"""IAM on the local cloud: roles, policies, the policy evaluator and the policy simulator.

:mod:`.provider` answers the operations; :mod:`.models` is what other services read.
"""
