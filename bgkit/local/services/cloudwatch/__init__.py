"""Amazon CloudWatch on the local cloud: metrics, statistics, metric math and alarms.

:mod:`.provider` answers the operations; :mod:`.models` holds its records and the face the rest
of the local cloud uses (the data plane's metrics, the alarms in ALARM); :mod:`.metrics`,
:mod:`.statistics`, :mod:`.queries`, :mod:`.alarms` and :mod:`.evaluation` hold the concepts.
"""
