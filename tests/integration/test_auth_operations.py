"""Account operations: login, invitation, activation, password reset, inviting members."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher

from convention.auth import operations as ops
from convention.core.audit import AuditEntry
from convention.core.db import utcnow
from convention.core.security import verify_password
from convention.domain.errors import DomainError
from convention.extensions import db, mail
from convention.members.models import TokenPurpose, User, UserToken
from convention.members.operations import invite_members
from tests.auth_fixtures import (
    PASSWORD,
    make_federation,
    make_member,
    make_section,
    make_user,
)

NEW_PASSWORD = "un tout nouveau mot de passe"


def actions() -> list[str]:
    return list(db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)))


@pytest.fixture()
def invited(database, app):
    """A member with an account that was never activated."""
    section = make_section(make_federation())
    member = make_member(section, "Alix", "Bernard", email="alix@example.org")
    return make_user(member=member, password=None)


# --- login ---------------------------------------------------------------------------------


def test_authenticate_user_sets_last_login_and_audits(database):
    user = make_user("Claude@Example.org")
    assert ops.authenticate_user("claude@example.org ", PASSWORD) is user
    assert user.last_login_dt is not None
    assert actions() == ["user.login"]


@pytest.mark.parametrize(
    ("email", "password"),
    [("claude@example.org", "mauvais mot de passe"), ("inconnu@example.org", PASSWORD)],
)
def test_authenticate_user_refuses_bad_credentials(database, email, password):
    make_user("claude@example.org")
    assert ops.authenticate_user(email, password) is None
    assert actions() == []


def test_disabled_or_unactivated_accounts_cannot_log_in(database):
    disabled = make_user("off@example.org")
    disabled.is_enabled = False
    make_user("pending@example.org", password=None)
    assert ops.authenticate_user("off@example.org", PASSWORD) is None
    assert ops.authenticate_user("pending@example.org", "") is None


def test_login_rehashes_an_outdated_hash(database):
    weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)
    user = make_user("old@example.org", password=None)
    user.password_hash = weak.hash(PASSWORD)
    old_hash = user.password_hash
    assert ops.authenticate_user("old@example.org", PASSWORD) is user
    assert user.password_hash != old_hash
    assert verify_password(user.password_hash, PASSWORD)
    assert "m=8192" not in user.password_hash


# --- invitation ----------------------------------------------------------------------------


def test_invite_user_stores_only_the_hash_and_mails_after_commit(invited, app):
    with mail.record_messages() as outbox:
        secret = ops.invite_user(None, invited)
        token = db.session.scalars(sa.select(UserToken)).one()
        assert token.token_hash == UserToken.hash(secret)
        assert secret not in token.token_hash
        assert token.purpose is TokenPurpose.INVITATION
        hours = app.config["INVITATION_TOKEN_HOURS"]
        assert abs(token.expires_dt - (token.created_dt + dt.timedelta(hours=hours))) < dt.timedelta(seconds=1)
        assert outbox == []  # nothing leaves before the commit
        db.session.commit()
    assert len(outbox) == 1
    message = outbox[0]
    assert message.recipients == ["alix@example.org"]
    assert "Activez votre compte" in message.subject
    assert f"/compte/activation/{secret}" in message.body
    assert f"/compte/activation/{secret}" in message.html
    assert "Bonjour Alix Bernard" in message.body
    assert actions() == ["user.invite"]


def test_invitation_mail_is_dropped_on_rollback(invited):
    with mail.record_messages() as outbox:
        ops.invite_user(None, invited)
        db.session.rollback()
        db.session.commit()
    assert outbox == []


def test_activated_account_cannot_be_invited(database):
    user = make_user("done@example.org")
    with pytest.raises(DomainError, match="déjà activé"):
        ops.invite_user(None, user)


def test_activate_account_sets_password_and_uses_the_token(invited):
    secret = ops.invite_user(None, invited)
    user = ops.activate_account(secret, NEW_PASSWORD)
    assert user is invited
    assert verify_password(user.password_hash, NEW_PASSWORD)
    assert user.activated_dt is not None
    assert user.is_active
    token = db.session.scalars(sa.select(UserToken)).one()
    assert token.used_dt is not None
    assert actions() == ["user.invite", "user.activate"]


def test_invitation_token_is_single_use(invited):
    secret = ops.invite_user(None, invited)
    ops.activate_account(secret, NEW_PASSWORD)
    db.session.commit()
    with pytest.raises(ops.TokenUsed, match="déjà été utilisé"):
        ops.activate_account(secret, "encore un autre mot de passe")
    assert verify_password(invited.password_hash, NEW_PASSWORD)


def test_invitation_token_expires(invited, app):
    now = utcnow()
    secret = ops.invite_user(None, invited, now=now)
    later = now + dt.timedelta(hours=app.config["INVITATION_TOKEN_HOURS"], seconds=1)
    with pytest.raises(ops.TokenExpired, match="expiré"):
        ops.activate_account(secret, NEW_PASSWORD, now=later)
    assert invited.password_hash is None
    # just before the deadline it still works
    almost = now + dt.timedelta(hours=app.config["INVITATION_TOKEN_HOURS"], seconds=-1)
    assert ops.activate_account(secret, NEW_PASSWORD, now=almost) is invited


def test_a_new_invitation_replaces_the_old_one(invited):
    first = ops.invite_user(None, invited)
    second = ops.invite_user(None, invited)
    with pytest.raises(ops.TokenExpired):
        ops.activate_account(first, NEW_PASSWORD)
    assert ops.activate_account(second, NEW_PASSWORD) is invited


@pytest.mark.parametrize("secret", ["", "n-importe-quoi", "x" * 43])
def test_unknown_token_is_refused(invited, secret):
    ops.invite_user(None, invited)
    with pytest.raises(ops.TokenUnknown, match="pas valide"):
        ops.activate_account(secret, NEW_PASSWORD)


def test_an_invitation_link_cannot_reset_a_password(database):
    pending = make_user("pending@example.org", password=None)
    secret = ops.invite_user(None, pending)
    with pytest.raises(ops.TokenUnknown):
        ops.reset_password(secret, NEW_PASSWORD)
    assert pending.password_hash is None


def test_short_password_is_refused_and_token_kept(invited):
    secret = ops.invite_user(None, invited)
    with pytest.raises(DomainError, match="12 caractères"):
        ops.activate_account(secret, "court")
    assert ops.activate_account(secret, NEW_PASSWORD) is invited


def test_disabled_account_cannot_use_its_link(invited):
    secret = ops.invite_user(None, invited)
    invited.is_enabled = False
    with pytest.raises(ops.AccountDisabled):
        ops.activate_account(secret, NEW_PASSWORD)


# --- password reset ------------------------------------------------------------------------


def _reset_secret(outbox) -> str:
    body = outbox[-1].body
    return body.split("/compte/reinitialisation/")[1].split()[0]


def test_password_reset_flow(database, app):
    user = make_user("reset@example.org")
    with mail.record_messages() as outbox:
        ops.request_password_reset("RESET@example.org")
        db.session.commit()
    assert len(outbox) == 1
    assert outbox[0].recipients == ["reset@example.org"]
    secret = _reset_secret(outbox)
    token = db.session.scalars(sa.select(UserToken)).one()
    assert token.purpose is TokenPurpose.PASSWORD_RESET
    hours = app.config["PASSWORD_RESET_TOKEN_HOURS"]
    assert token.expires_dt - token.created_dt == dt.timedelta(hours=hours)

    assert ops.reset_password(secret, NEW_PASSWORD) is user
    db.session.commit()
    assert verify_password(user.password_hash, NEW_PASSWORD)
    assert not verify_password(user.password_hash, PASSWORD)
    with pytest.raises(ops.TokenUsed):
        ops.reset_password(secret, "et un troisième mot de passe")
    assert actions() == ["user.password_reset_request", "user.password_reset"]


@pytest.mark.parametrize("kind", ["unknown", "unactivated", "disabled"])
def test_password_reset_is_silent_for_unknown_or_inactive_accounts(database, kind):
    if kind == "unactivated":
        make_user("x@example.org", password=None)
    elif kind == "disabled":
        make_user("x@example.org").is_enabled = False
    with mail.record_messages() as outbox:
        assert ops.request_password_reset("x@example.org") is None
        db.session.commit()
    assert outbox == []
    assert db.session.scalar(sa.select(sa.func.count(UserToken.id))) == 0


def test_newer_reset_token_invalidates_older_ones(database):
    user = make_user("twice@example.org")
    with mail.record_messages() as outbox:
        ops.request_password_reset(user.email)
        db.session.commit()
        ops.request_password_reset(user.email)
        db.session.commit()
    first, second = (m.body.split("/compte/reinitialisation/")[1].split()[0] for m in outbox)
    with pytest.raises(ops.TokenExpired, match="remplacé"):
        ops.reset_password(first, NEW_PASSWORD)
    assert ops.reset_password(second, NEW_PASSWORD) is user


def test_reset_token_expires(database, app):
    make_user("late@example.org")
    now = utcnow()
    with mail.record_messages() as outbox:
        ops.request_password_reset("late@example.org", now=now)
        db.session.commit()
    later = now + dt.timedelta(hours=app.config["PASSWORD_RESET_TOKEN_HOURS"], minutes=1)
    with pytest.raises(ops.TokenExpired):
        ops.reset_password(_reset_secret(outbox), NEW_PASSWORD, now=later)


# --- inviting members ----------------------------------------------------------------------


def test_invite_members_creates_accounts_and_mails_each_once(database):
    section = make_section(make_federation())
    fresh = [make_member(section, f"Membre{i}") for i in range(3)]
    activated = make_member(section, "Déjà")
    make_user(member=activated)
    with mail.record_messages() as outbox:
        report = invite_members(None, [*fresh, activated])
        db.session.commit()
    assert [u.member for u in report.created] == fresh
    assert report.invited == report.created
    assert report.skipped == [activated]
    assert sorted(m.recipients[0] for m in outbox) == sorted(m.email for m in fresh)
    for member in fresh:
        assert member.user.email == member.email
        assert member.user.display_name == member.full_name
        assert member.user.password_hash is None
    # a second run creates nothing and sends nothing
    with mail.record_messages() as outbox:
        again = invite_members(None, fresh)
        db.session.commit()
    assert again.created == [] and again.invited == [] and outbox == []
    # unless asked to send a new link
    with mail.record_messages() as outbox:
        resent = invite_members(None, fresh, resend=True)
        db.session.commit()
    assert len(resent.invited) == 3 and resent.created == [] and len(outbox) == 3
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 4


def test_invite_members_links_an_existing_account_with_the_same_email(database):
    section = make_section(make_federation())
    member = make_member(section, email="staff@example.org")
    staff = make_user("Staff@example.org", password=None)
    report = invite_members(None, [member])
    assert report.created == [] and report.invited == [staff]
    assert staff.member is member


# --- flask members invite -----------------------------------------------------------------------


def test_invite_command(app, database):
    from convention.members.invite_cli import invite_command

    isere, rhone = make_federation("38", "Isère"), make_federation("69", "Rhône")
    grenoble, lyon = make_section(isere, "Grenoble"), make_section(rhone, "Lyon")
    for i in range(2):
        make_member(grenoble, f"G{i}")
    make_member(lyon, "L")
    db.session.commit()
    runner = app.test_cli_runner()

    assert runner.invoke(invite_command, []).exit_code == 2  # one option is required
    assert runner.invoke(invite_command, ["--section", "999"]).exit_code == 2

    with mail.record_messages() as outbox:
        result = runner.invoke(invite_command, ["--section", str(grenoble.id)])
    assert result.exit_code == 0, result.output
    assert "2 compte(s) créé(s), 2 invitation(s) envoyée(s)" in result.output
    assert len(outbox) == 2

    with mail.record_messages() as outbox:
        result = runner.invoke(invite_command, ["--all"])
    assert "1 compte(s) créé(s), 1 invitation(s) envoyée(s)" in result.output
    assert [m.recipients for m in outbox] == [
        [db.session.scalars(sa.select(User.email).where(User.display_name.startswith("L "))).one()]
    ]

    with mail.record_messages() as outbox:
        result = runner.invoke(invite_command, ["--federation", "38", "--resend"])
    assert "0 compte(s) créé(s), 2 invitation(s) envoyée(s)" in result.output
    assert len(outbox) == 2
