"""Typed error replies from the services become HTTP errors with a ``detail`` message."""

from fastapi import HTTPException

from contracts.commands import ErrorReply

STATUS_OF = {
    "validation_failed": 422, "config_invalid": 422, "empty_horizon": 422,
    "scenario_not_found": 404, "config_not_found": 404, "plan_not_found": 404, "run_not_found": 404,
    "job_not_found": 404, "scenario_locked": 409, "scenario_archived": 409, "not_allowed": 409,
    "unavailable": 503, "maintenance": 503, "internal_error": 500, "forbidden": 403,
    "storage_full": 507,
}
HEADERS_OF = {"maintenance": {"Retry-After": "300"}, "storage_full": {"Retry-After": "60"}}
"""Maintenance lasts minutes: a client may ask again after five. A full disk lasts until
someone frees space: ask again in a minute."""


def raise_for(reply: object) -> None:
    """Raise the HTTPException an ErrorReply stands for; return for any other reply."""
    if isinstance(reply, ErrorReply):
        detail: object = reply.message
        if reply.details:
            detail = {"message": reply.message, "error": reply.error, "errors": reply.details}
        raise HTTPException(status_code=STATUS_OF.get(reply.error, 400), detail=detail,
                            headers=HEADERS_OF.get(reply.error))
