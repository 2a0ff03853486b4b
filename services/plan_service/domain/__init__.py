"""plan_service's pure domain: config validation, the planning pipeline, results aggregation.

No I/O and no messaging here: handlers feed these functions documents and publish what they return.
"""
