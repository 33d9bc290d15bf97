"""CloudWatch Logs on the local cloud: log groups, streams and events.

:mod:`.provider` answers the operations; :mod:`.models` holds its records, keys and ARNs;
:mod:`.streams` ships task output and reads events.
"""
