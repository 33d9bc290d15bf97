"""AWS Security Token Service: temporary credentials and who the caller is.

``provider.py`` answers the operations; ``models.py`` holds the sessions it hands out (the only
module IAM's authorization and other services import); ``assuming.py`` decides ``AssumeRole``;
``federation.py`` answers the unsigned ``AssumeRoleWithWebIdentity`` and ``AssumeRoleWithSAML``.
"""
