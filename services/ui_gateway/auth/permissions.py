"""Roles and what each may do, in one table (the README shows it).

Roles are ordered: each may do what the ones before it may, and more. A route names the one
permission it needs (``allow("runs.delete")``); ``public()`` marks the few that need none.
"""

from contracts.identity import ROLES, Role

PERMISSIONS: dict[str, Role] = {
    "read": "viewer",
    "configs.import": "planner",
    "scenarios.write": "planner",
    "plans.create": "planner",
    "plans.rerun": "planner",
    "plans.edit": "planner",
    "plans.submit": "planner",
    "jobs.aggregate": "planner",
    "jobs.cancel": "planner",
    "jobs.retry": "planner",
    "runs.archive": "planner",
    "runs.note": "planner",
    "runs.tag": "planner",
    "scenarios.lock": "approver",
    "plans.approve": "approver",
    "scenarios.archive": "approver",
    "runs.approve": "approver",
    "registry.operate": "operator",
    "users.manage": "admin",
    "tokens.manage": "admin",
    "runs.delete": "admin",
}
"""Permission → the least role that holds it."""

PUBLIC = "public"
"""Routes anyone may reach: sign-in, health, static assets."""


def allowed(role: str, permission: str) -> bool:
    if permission == PUBLIC:
        return True
    return ROLES.index(role) >= ROLES.index(PERMISSIONS[permission])  # type: ignore[arg-type]


def role_table() -> list[tuple[str, list[str]]]:
    """Each role with the permissions it adds to the role before it."""
    return [(role, [p for p, least in PERMISSIONS.items() if least == role]) for role in ROLES]
