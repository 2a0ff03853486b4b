"""``scpln legacy import``: the run history of an original scpln database as facts of this system."""
