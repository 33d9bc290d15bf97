"""CloudWatch Logs on the local cloud: log groups, streams and events.

:mod:`.provider` answers the operations.
"""
