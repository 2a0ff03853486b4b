"""``scpln tokens create | list | revoke``: API tokens (``Authorization: Bearer <token>``). The
token is printed once; the log keeps only its sha256."""

import argparse
import re
from datetime import UTC, datetime, timedelta

from nats.js import JetStreamContext

from contracts.identity import TokenIssued, TokenRevoked
from runtime import identity
from runtime.identity import Identities
from scpln import locate
from scpln.identity_cli import PRODUCER, Refusal, Unchanged, actor, write
from scpln.users import known, table

DEFAULT_TTL = "90d"
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def ttl(text: str) -> timedelta | None:
    """``30d``, ``12h``, ``90m``, ``2w``; ``never`` for a token that does not expire."""
    if text.strip().lower() == "never":
        return None
    match = re.fullmatch(r"(\d+)([mhdw])", text.strip().lower())
    if match is None or int(match[1]) == 0:
        raise argparse.ArgumentTypeError(f"not a duration: {text!r} (e.g. 30d, 12h, 90m, 2w, or never)")
    return timedelta(**{_UNITS[match[2]]: int(match[1])})


def add_arguments(parser: argparse.ArgumentParser) -> None:
    after = locate.add_arguments(parser)
    actions = parser.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", parents=[after], help="issue a token; printed alone on the last line, once")
    create.add_argument("--user", required=True, help="the user it acts as (with that user's current role)")
    create.add_argument("--ttl", type=ttl, default=DEFAULT_TTL,
                        help=f"how long it works: 30d, 12h, 90m, 2w or never (default {DEFAULT_TTL})")
    create.add_argument("--name", default="", help="a label: what the token is for")
    actions.add_parser("list", parents=[after], help="every token: id, user, label, issued, expires, revoked")
    actions.add_parser("revoke", parents=[after], help="stop a token at once").add_argument("id")


def decide_issue(identities: Identities, username: str, label: str, expires_at: datetime | None,
                 token_id: str, sha256: str, by: str) -> TokenIssued:
    if known(identities, username).disabled:
        raise Refusal(f"{username} is disabled; enable the user first (scpln users enable {username})")
    return TokenIssued(correlation_id=token_id, producer=PRODUCER, token_id=token_id, username=username,
                       label=label, token_sha256=sha256, expires_at=expires_at, issued_by=by)


def decide_revoke(identities: Identities, token_id: str, by: str) -> TokenRevoked:
    token = identities.tokens.get(token_id)
    if token is None:
        raise Refusal(f"no token with id {token_id!r} (scpln tokens list shows them)")
    if token.revoked:
        raise Unchanged(f"token {token_id} is revoked already")
    return TokenRevoked(correlation_id=token_id, producer=PRODUCER, token_id=token_id, revoked_by=by)


def _when(moment: datetime | None, never: str = "never") -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else never


def token_rows(identities: Identities, now: datetime) -> list[str]:
    rows = [("id", "user", "label", "issued", "by", "expires", "revoked")]
    rows += [(t.token_id, t.username, t.label, _when(t.issued_at), t.issued_by,
              _when(t.expires_at) + (" (expired)" if t.expired(now) else ""), "yes" if t.revoked else "no")
             for t in sorted(identities.tokens.values(), key=lambda t: t.issued_at)]
    return table(rows)


async def command(args: argparse.Namespace, js: JetStreamContext) -> None:
    by = actor()
    if args.action == "list":
        print("\n".join(token_rows(await identity.load(js), datetime.now(UTC))))
    elif args.action == "revoke":
        await write(js, lambda ids: decide_revoke(ids, args.id, by))
        print(f"token {args.id} revoked")
    else:
        token_id, secret, sha256 = identity.new_token()
        expires_at = datetime.now(UTC) + args.ttl if args.ttl else None
        await write(js, lambda ids: decide_issue(ids, args.user, args.name, expires_at, token_id, sha256, by))
        print(f"token {token_id} for {args.user}, expires {_when(expires_at)}; it is shown only now:")
        print(secret)
