"""Amazon S3 on the local cloud: buckets, versions, objects on disk (see ``provider.py``)."""
