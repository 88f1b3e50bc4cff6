"""Demo population: federations, sections, members, role accounts; idempotent, reproducible."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from convention.conventions.models import Convention
from convention.core.security import verify_password
from convention.domain.roles import Role
from convention.groups.models import WorkingGroup
from convention.members.models import Federation, Member, RoleAssignment, Section, User
from seed.demo import ACCOUNTS, DEMO_PASSWORD, demo_accounts, load_federations, seed_demo
from tests.conftest import empty_tables

TODAY = dt.date(2026, 11, 20)


def count(db, model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def member_rows(db) -> list[tuple]:
    return list(
        db.session.execute(
            sa.select(
                Member.membership_number, Member.first_name, Member.last_name, Member.email,
                Section.name, Member.dues_paid_until,
            ).join(Member.section).order_by(Member.membership_number)
        )
    )  # fmt: skip


def test_federation_table():
    federations = load_federations()
    codes = [f.code for f in federations]
    assert len(federations) == 102 and len(set(codes)) == 102
    assert {"2A", "2B", "971", "972", "973", "974", "976", "FFE"} <= set(codes)
    assert "20" not in codes
    titles = {f.name: f.title for f in federations}
    assert titles["Isère"] == "Fédération de l'Isère"
    assert titles["Nord"] == "Fédération du Nord"
    assert titles["Hauts-de-Seine"] == "Fédération des Hauts-de-Seine"
    assert titles["Manche"] == "Fédération de la Manche"
    assert titles["Paris"] == "Fédération de Paris"
    assert titles["Français de l'étranger"] == "Fédération des Français de l'étranger"
    for federation in federations:
        assert federation.title.startswith("Fédération ")
        assert federation.name in federation.title
        assert len(federation.sections) >= 3


def test_demo_population(database):
    report = seed_demo(members=200, seed_value=7, today=TODAY)
    database.session.commit()
    assert (report.federations_created, report.sections_created) == (102, 307)
    assert report.members_created == 200
    assert count(database, Federation) == 102
    isere = database.session.scalar(sa.select(Federation).filter_by(code="38"))
    assert isere.title == "Fédération de l'Isère"
    assert "Grenoble" in [s.name for s in isere.sections]
    members = database.session.scalars(sa.select(Member).where(Member.membership_number.like("PS%"))).all()
    assert len(members) == 200
    assert len({m.email for m in members}) == 200
    assert all(m.email.endswith("@exemple.fr") for m in members)
    paid = sum(1 for m in members if m.is_dues_paid(TODAY))
    assert 0.7 * 200 <= paid < 200  # mostly up to date, some lapsed
    assert len({m.section_id for m in members}) > 50  # spread over the sections


def test_second_run_changes_nothing(database):
    seed_demo(members=40, seed_value=3, today=TODAY)
    database.session.commit()
    before = member_rows(database)
    users = count(database, User), count(database, RoleAssignment), count(database, Section)
    again = seed_demo(members=40, seed_value=3, today=TODAY)
    database.session.commit()
    assert not again.changed
    assert "rien n'a changé" in "\n".join(again.lines())
    assert member_rows(database) == before
    assert (
        count(database, User),
        count(database, RoleAssignment),
        count(database, Section),
    ) == users


def test_reproducible_and_more_members_only_adds(database):
    seed_demo(members=30, seed_value=11, today=TODAY)
    database.session.commit()
    first = member_rows(database)
    empty_tables()
    seed_demo(members=30, seed_value=11, today=TODAY)
    database.session.commit()
    assert member_rows(database) == first
    more = seed_demo(members=45, seed_value=11, today=TODAY)
    database.session.commit()
    assert more.members_created == 15
    assert member_rows(database)[: len(first)] == first
    empty_tables()
    seed_demo(members=30, seed_value=12, today=TODAY)
    database.session.commit()
    assert member_rows(database) != first  # another seed, other people


def test_accounts_without_a_convention_skip_group_roles(database):
    report = seed_demo(members=5, seed_value=1, today=TODAY)
    database.session.commit()
    keys = {a.email for a in report.accounts}
    assert "demo.pilote@exemple.fr" not in keys and "demo.comite@exemple.fr" not in keys
    assert len(report.skipped) == 2
    assert any("Ignoré" in line for line in report.lines())
    assert {a.email for a in demo_accounts()} == keys


class StubSeedReport:
    def __init__(self, convention):
        self.convention = convention

    def lines(self):
        return ["Convention (bouchon de test)."]


@pytest.fixture()
def stub_seed(database, monkeypatch):
    """``flask seed`` with a small convention and its group 1 instead of the document import
    (and instead of the demo convention built from it)."""
    import seed.demo_convention
    import seed.load

    def seed_convention(verbose=False):
        convention = database.session.scalar(sa.select(Convention))
        if convention is None:
            convention = Convention(slug="securite", title="Sécurité", short_title="Sécurité")
            database.session.add(convention)
            database.session.flush()
            database.session.add(WorkingGroup(convention_id=convention.id, number=1, title="G1"))
            database.session.flush()
        return StubSeedReport(convention)

    def seed_demo_convention(archive, today=None):
        # The stub stands for the demo convention too (no slug of its own: the roles go to it).
        return seed.demo_convention.DemoConventionReport(created=False, convention=archive)

    monkeypatch.setattr(seed.load, "seed_convention", seed_convention)
    monkeypatch.setattr(seed.load, "link_units", lambda convention: None, raising=False)
    monkeypatch.setattr(seed.demo_convention, "seed_demo_convention", seed_demo_convention)


def test_flask_seed_demo_honours_members_and_creates_every_account(app, database, stub_seed):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed", "--demo", "--members", "25"])
    assert result.exit_code == 0, result.output
    assert "25 adhérents demandés (25 créés)" in result.output
    database.session.expire_all()
    assert count(database, Member) == 25 + len(ACCOUNTS)
    accounts = demo_accounts()
    assert [a.email for a in accounts] == [spec.email for spec in ACCOUNTS]
    assert all(a.password == DEMO_PASSWORD for a in accounts)

    users = {u.email: u for u in database.session.scalars(sa.select(User))}
    for spec in ACCOUNTS:
        user = users[spec.email]
        assert user.is_active and user.activated_dt is not None and user.member is not None
    assert verify_password(users["demo.bn@exemple.fr"].password_hash, DEMO_PASSWORD)
    group = database.session.scalar(sa.select(WorkingGroup).filter_by(number=1))
    pilot = users["demo.pilote@exemple.fr"]
    assert pilot.has_role(Role.PILOT, working_group_id=group.id)
    assert users["demo.comite@exemple.fr"].has_role(Role.COMMITTEE, convention_id=group.convention_id)
    secretary = users["demo.section@exemple.fr"]
    assert secretary.has_role(Role.SECTION_SECRETARY, section_id=secretary.member.section_id)
    assert secretary.member.section.name == "Grenoble"
    federation = users["demo.federation@exemple.fr"]
    isere = database.session.scalar(sa.select(Federation).filter_by(code="38"))
    assert federation.has_role(Role.FEDERATION_SECRETARY, federation_id=isere.id)
    assert users["demo.bn@exemple.fr"].is_national_bureau
    assert not users["demo.militant@exemple.fr"].roles

    listing = runner.invoke(args=["demo-accounts"])
    assert listing.exit_code == 0
    assert DEMO_PASSWORD in listing.output and "demo.pilote@exemple.fr" in listing.output
    assert "Pilote du groupe de travail 1" in listing.output

    again = runner.invoke(args=["seed", "--demo", "--members", "25"])
    assert again.exit_code == 0, again.output
    assert "(0 créés)" in again.output
    database.session.expire_all()
    assert count(database, Member) == 25 + len(ACCOUNTS)
