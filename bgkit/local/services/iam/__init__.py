"""IAM on the local cloud: roles, policies and the policy evaluator.

:mod:`.provider` answers the operations; :mod:`.models` is what other services read.
"""
