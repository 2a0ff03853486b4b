"""``scpln users`` and ``scpln tokens``: their decisions on the identities the log holds, and
writing a fact only on top of the facts it was decided on (fold and decide again otherwise)."""

from datetime import UTC, datetime, timedelta

import pytest

from contracts.identity import TokenIssued, UserAdded, UserDisabled
from runtime import identity
from runtime.identity import Identities
from scpln import first_admin, tokens, users
from scpln.cli import build_parser
from scpln.identity_cli import Refusal, Unchanged, write


def identities(*events, seq: int = 0) -> Identities:  # type: ignore[no-untyped-def]
    folded = Identities()
    for i, event in enumerate(events, start=1):
        folded.apply(event, seq or i)
    return folded


def added(name: str, role: str = "viewer") -> UserAdded:
    return UserAdded(correlation_id=name, producer="t", username=name, role=role, password_hash="h", added_by="t")


def test_adding_a_user_refuses_a_taken_or_malformed_name_and_records_who_added_it():
    event = users.decide_add(identities(), "alice", "planner", "argon2-hash", "ops")
    assert (event.username, event.role, event.password_hash, event.added_by) == ("alice", "planner", "argon2-hash", "ops")
    with pytest.raises(Refusal, match="exists already"):
        users.decide_add(identities(added("alice")), "alice", "viewer", "h", "ops")
    with pytest.raises(Refusal, match="no valid user name"):
        users.decide_add(identities(), "bad name!", "viewer", "h", "ops")


def test_roles_are_named_as_here_or_as_in_the_original_system():
    assert users.role("lead") == "approver" and users.role("Admin") == "admin"
    with pytest.raises(Refusal, match="unknown role 'boss'"):
        users.role("boss")


def test_changing_an_unknown_user_is_refused_and_a_change_to_what_holds_writes_nothing():
    known = identities(added("bob", "viewer"))
    for decide in (lambda: users.decide_set_role(known, "carol", "viewer", "ops"),
                   lambda: users.decide_disable(known, "carol", "ops"),
                   lambda: users.decide_enable(known, "carol", "ops"),
                   lambda: users.decide_set_password(known, "carol", "h", "ops"),
                   lambda: tokens.decide_issue(known, "carol", "", None, "t1", "0" * 64, "ops")):
        with pytest.raises(Refusal, match="no user named 'carol'"):
            decide()
    with pytest.raises(Unchanged):
        users.decide_set_role(known, "bob", "viewer", "ops")
    with pytest.raises(Unchanged):
        users.decide_enable(known, "bob", "ops")
    assert users.decide_set_role(known, "bob", "admin", "ops").changed_by == "ops"
    assert users.decide_disable(known, "bob", "ops").disabled_by == "ops"


def test_a_disabled_user_gets_no_token_and_a_token_is_kept_as_its_hash():
    disabled = identities(added("bob"), UserDisabled(correlation_id="bob", producer="t", username="bob", disabled_by="t"))
    with pytest.raises(Refusal, match="bob is disabled"):
        tokens.decide_issue(disabled, "bob", "", None, "t1", "0" * 64, "ops")
    token_id, secret, sha256 = identity.new_token()
    event = tokens.decide_issue(identities(added("bob")), "bob", "ci", None, token_id, sha256, "ops")
    assert secret not in event.model_dump_json() and event.token_sha256 == sha256 and event.issued_by == "ops"


def test_revoking_needs_a_known_token_and_a_revoked_one_stays_so():
    issued = TokenIssued(correlation_id="t1", producer="t", token_id="t1", username="bob", token_sha256="0" * 64,
                         issued_by="t")
    known = identities(added("bob"), issued)
    assert tokens.decide_revoke(known, "t1", "ops").revoked_by == "ops"
    with pytest.raises(Refusal, match="no token with id 't2'"):
        tokens.decide_revoke(known, "t2", "ops")
    known.apply(tokens.decide_revoke(known, "t1", "ops"), 3)
    with pytest.raises(Unchanged):
        tokens.decide_revoke(known, "t1", "ops")


def test_token_lifetimes():
    assert tokens.ttl("30d") == timedelta(days=30) and tokens.ttl("12h") == timedelta(hours=12)
    assert tokens.ttl("never") is None
    args = build_parser().parse_args(["tokens", "create", "--user", "bob"])
    assert args.ttl == timedelta(days=90)
    for wrong in ("30", "0d", "1y", "soon"):
        with pytest.raises(Exception, match="not a duration"):
            tokens.ttl(wrong)


def test_lists_show_no_hash_and_say_what_expired():
    now = datetime.now(UTC)
    issued = TokenIssued(correlation_id="t1", producer="t", token_id="t1", username="bob", label="ci",
                         token_sha256="f" * 64, expires_at=now - timedelta(hours=1), issued_by="ops")
    folded = identities(UserAdded(correlation_id="bob", producer="t", username="bob", role="planner",
                                  password_hash="$argon2id$secret", added_by="ops"), issued)
    listed = "\n".join(users.user_rows(folded) + tokens.token_rows(folded, now))
    assert "argon2" not in listed and "f" * 64 not in listed
    assert "bob" in listed and "planner" in listed and "(expired)" in listed


def test_the_first_admin_is_added_only_to_a_log_without_users():
    event = first_admin.decide_first_admin(identities(), "hash")
    assert (event.username, event.role, event.added_by) == ("admin", "admin", "scpln up")
    with pytest.raises(Unchanged):
        first_admin.decide_first_admin(identities(added("someone")), "hash")


async def test_a_fact_stored_meanwhile_makes_the_command_fold_and_decide_again():
    logs = [identities(seq=0), identities(added("alice"), seq=7)]
    published: list[tuple[str, int]] = []

    async def load(_js):  # type: ignore[no-untyped-def]
        return logs.pop(0)

    async def publish(_js, event, after_seq):  # type: ignore[no-untyped-def]
        if after_seq == 0:
            raise identity.Conflict("wrong last sequence: 7")
        published.append((event.username, after_seq))
        return 8

    with pytest.raises(Refusal, match="exists already"):  # the second fold has alice: the add is refused
        await write(None, lambda ids: users.decide_add(ids, "alice", "viewer", "h", "ops"), load=load, publish=publish)
    logs = [identities(seq=0), identities(added("alice"), seq=7)]
    await write(None, lambda ids: users.decide_add(ids, "bob", "viewer", "h", "ops"), load=load, publish=publish)
    assert published == [("bob", 7)]


async def test_a_command_gives_up_when_facts_keep_coming():
    async def load(_js):  # type: ignore[no-untyped-def]
        return identities()

    async def publish(_js, event, after_seq):  # type: ignore[no-untyped-def]
        raise identity.Conflict("wrong last sequence")

    with pytest.raises(Refusal, match="try again"):
        await write(None, lambda ids: users.decide_add(ids, "bob", "viewer", "h", "ops"), load=load, publish=publish)
