"""AWS Lambda on the local cloud (``provider.py``; ``models.py`` is what others import)."""
