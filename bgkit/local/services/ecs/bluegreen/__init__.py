"""ECS's built-in blue/green deployments (``BLUE_GREEN``, ``LINEAR``, ``CANARY``): the
configuration checks, the service deployment records, the engine, and its traffic shifts."""
