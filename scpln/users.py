"""``scpln users add | list | set-role | disable | enable | set-password``: local accounts, kept
as identity facts in the event log (an argon2 hash, never the password)."""

import argparse
import re

from nats.js import JetStreamContext

from contracts.identity import (
    USERNAME_PATTERN,
    Role,
    UserAdded,
    UserDisabled,
    UserEnabled,
    UserPasswordChanged,
    UserRoleChanged,
)
from runtime import identity
from runtime.identity import Identities, User
from scpln import locate
from scpln.identity_cli import PRODUCER, Refusal, Unchanged, actor, password_from_stdin_or_new, write


def add_arguments(parser: argparse.ArgumentParser) -> None:
    after = locate.add_arguments(parser)
    actions = parser.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", parents=[after], help="add a user (password from stdin, else generated and printed)")
    add.add_argument("name")
    add.add_argument("--role", required=True, help="viewer, planner, approver (or lead), operator, admin")
    actions.add_parser("list", parents=[after], help="every user: role, disabled, added at and by")
    set_role = actions.add_parser("set-role", parents=[after], help="change a user's role (their sessions and tokens follow at once)")
    set_role.add_argument("name")
    set_role.add_argument("role")
    for action, what in (("disable", "stop a user signing in; their sessions and tokens stop at once"),
                         ("enable", "let a disabled user sign in again"),
                         ("set-password", "set a user's password (from stdin, else generated and printed)")):
        actions.add_parser(action, parents=[after], help=what).add_argument("name")


def role(name: str) -> Role:
    try:
        return identity.role_named(name)
    except ValueError as exc:
        raise Refusal(str(exc)) from None


def known(identities: Identities, name: str) -> User:
    user = identities.users.get(name)
    if user is None:
        raise Refusal(f"no user named {name!r} (scpln users list shows them)")
    return user


def decide_add(identities: Identities, name: str, new_role: Role, password_hash: str, by: str) -> UserAdded:
    if not re.fullmatch(USERNAME_PATTERN, name):
        raise Refusal(f"{name!r} is no valid user name: up to 64 letters, digits and . _ @ -, starting with a "
                      "letter or digit")
    if name in identities.users:
        raise Refusal(f"user {name!r} exists already (set-role, set-password or enable change it)")
    return UserAdded(correlation_id=name, producer=PRODUCER, username=name, role=new_role,
                     password_hash=password_hash, added_by=by)


def decide_set_role(identities: Identities, name: str, new_role: Role, by: str) -> UserRoleChanged:
    if known(identities, name).role == new_role:
        raise Unchanged(f"{name} is {new_role} already")
    return UserRoleChanged(correlation_id=name, producer=PRODUCER, username=name, role=new_role, changed_by=by)


def decide_disable(identities: Identities, name: str, by: str) -> UserDisabled:
    if known(identities, name).disabled:
        raise Unchanged(f"{name} is disabled already")
    return UserDisabled(correlation_id=name, producer=PRODUCER, username=name, disabled_by=by)


def decide_enable(identities: Identities, name: str, by: str) -> UserEnabled:
    if not known(identities, name).disabled:
        raise Unchanged(f"{name} is enabled already")
    return UserEnabled(correlation_id=name, producer=PRODUCER, username=name, enabled_by=by)


def decide_set_password(identities: Identities, name: str, password_hash: str, by: str) -> UserPasswordChanged:
    known(identities, name)
    return UserPasswordChanged(correlation_id=name, producer=PRODUCER, username=name, password_hash=password_hash,
                               changed_by=by)


def user_rows(identities: Identities) -> list[str]:
    rows = [("name", "role", "disabled", "added at", "added by")]
    rows += [(u.username, u.role, "yes" if u.disabled else "no",
              u.added_at.strftime("%Y-%m-%d %H:%M UTC") if u.added_at else "", u.added_by)
             for u in sorted(identities.users.values(), key=lambda u: u.username)]
    return table(rows)


def table(rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows]


async def command(args: argparse.Namespace, js: JetStreamContext) -> None:
    by = actor()
    if args.action == "list":
        print("\n".join(user_rows(await identity.load(js))))
        return
    if args.action in ("add", "set-password"):
        new_role = role(args.role) if args.action == "add" else None
        password, generated = password_from_stdin_or_new()
        hashed = identity.hash_password(password)
        if args.action == "add":
            await write(js, lambda ids: decide_add(ids, args.name, new_role, hashed, by))  # type: ignore[arg-type]
            print(f"added user {args.name} ({new_role})")
        else:
            await write(js, lambda ids: decide_set_password(ids, args.name, hashed, by))
            print(f"password of {args.name} set")
        if generated:
            print(f"password: {password}")
        return
    if args.action == "set-role":
        new_role = role(args.role)
        await write(js, lambda ids: decide_set_role(ids, args.name, new_role, by))
        print(f"{args.name} is now {new_role}")
    elif args.action == "disable":
        await write(js, lambda ids: decide_disable(ids, args.name, by))
        print(f"{args.name} disabled: their sessions and tokens no longer work")
    else:
        await write(js, lambda ids: decide_enable(ids, args.name, by))
        print(f"{args.name} enabled")
