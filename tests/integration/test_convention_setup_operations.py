"""The new-convention wizard's operations: each step, its refusals (nothing written), publication, featuring."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from convention.conventions import setup
from convention.conventions.models import Convention, Phase
from convention.core.audit import AuditEntry
from convention.core.permissions import PermissionDenied
from convention.domain.documents import import_document
from convention.domain.errors import DomainError
from convention.domain.phases import PHASE_ORDER, PhaseKind
from convention.domain.roles import Role
from convention.extensions import db
from convention.groups.models import Person, SteeringRole, WorkingGroup
from convention.members.models import RoleAssignment
from convention.notifications.models import Notification
from convention.search.models import SearchDocument, SearchKind
from convention.texts.models import Text, TextVersion
from tests.auth_fixtures import make_convention, make_federation, make_member, make_section, make_user
from tests.unit.test_document_import import build_docx, build_odt

D = dt.date


START = D(2027, 1, 10)


def good_phases(start: dt.date = START) -> list[setup.PhaseDates]:
    """Seven phases in order; contributions alongside the working groups, as the party does."""
    day = dt.timedelta(days=1)
    wg_end = start + 60 * day
    return [
        setup.PhaseDates(PhaseKind.WORKING_GROUPS, start, wg_end),
        setup.PhaseDates(PhaseKind.CONTRIBUTIONS, start + 5 * day, wg_end),
        setup.PhaseDates(PhaseKind.AMENDMENTS, wg_end + day, wg_end + 30 * day),
        setup.PhaseDates(PhaseKind.NATIONAL_BUREAU, wg_end + 31 * day, wg_end + 31 * day),
        setup.PhaseDates(PhaseKind.MEMBERS_VOTE, wg_end + 40 * day, wg_end + 42 * day),
        setup.PhaseDates(PhaseKind.CONVENTION_DAY, wg_end + 50 * day, wg_end + 50 * day),
        setup.PhaseDates(PhaseKind.ADOPTED_TEXT, wg_end + 51 * day, None),
    ]


@pytest.fixture()
def people(database):
    section = make_section(make_federation())
    bureau = make_user("bn@example.org", roles=[(Role.NATIONAL_BUREAU, None)])
    with_account = make_member(section, "Alice", "Martin")
    alice = make_user(member=with_account)
    no_account = make_member(section, "Bruno", "Petit")
    plain = make_user("militant@example.org", member=make_member(section, "Chloé", "Simon"))
    db.session.commit()
    return {"bn": bureau, "alice": alice, "alice_member": with_account, "bruno": no_account, "plain": plain}


def draft(bn, title="Convention nationale sur le travail et l'emploi") -> Convention:
    return setup.create_draft(bn, title=title, short_title="Travail et emploi", description="Préparer le projet.")


def audit_count() -> int:
    return db.session.scalar(sa.select(sa.func.count(AuditEntry.id)))


# --- step a ------------------------------------------------------------------------------------------


def test_a_draft_is_created_unpublished_with_an_address_from_its_title(people):
    convention = draft(people["bn"])
    assert convention.slug == "convention-nationale-sur-le-travail-et-l-emploi"
    assert convention.published_dt is None and not convention.is_published and not convention.is_featured
    second = draft(people["bn"])
    assert second.slug == "convention-nationale-sur-le-travail-et-l-emploi-2"


@pytest.mark.parametrize(
    ("slug", "fragment"),
    [
        ("Avec Majuscules", "lettres minuscules"),
        ("été-2027", "lettres minuscules"),
        ("-tiret", "lettres minuscules"),
        ("a/b", "lettres minuscules"),
        ("x" * 81, "80 au plus"),
        ("administration", "réservée"),
        ("securite", "déjà celle d'une autre convention"),
    ],
)
def test_a_bad_or_taken_address_is_refused_and_nothing_is_written(people, slug, fragment):
    make_convention("securite")
    before = db.session.scalar(sa.select(sa.func.count(Convention.id)))
    with pytest.raises(setup.SetupError) as error:
        setup.create_draft(people["bn"], title="Titre", short_title="Court", slug=slug)
    assert any(fragment in m for m in error.value.messages), error.value.messages
    assert db.session.scalar(sa.select(sa.func.count(Convention.id))) == before


def test_the_identity_of_a_draft_is_updated_and_its_own_address_is_not_taken(people):
    convention = draft(people["bn"])
    setup.update_identity(
        people["bn"], convention, title="Nouveau titre", short_title="Nouveau", slug=convention.slug, description=""
    )
    assert convention.title == "Nouveau titre" and convention.short_title == "Nouveau"


# --- step b ------------------------------------------------------------------------------------------


def test_the_seven_phases_are_saved_in_order_and_can_be_saved_again(people):
    convention = draft(people["bn"])
    setup.save_phases(people["bn"], convention, good_phases())
    assert [p.kind for p in convention.phases] == list(PHASE_ORDER)
    assert convention.phase(PhaseKind.ADOPTED_TEXT).ends_on is None
    setup.save_phases(people["bn"], convention, good_phases(D(2027, 2, 1)))
    db.session.flush()
    assert db.session.scalar(sa.select(sa.func.count(Phase.id)).where(Phase.convention_id == convention.id)) == 7
    assert convention.phase(PhaseKind.WORKING_GROUPS).starts_on == D(2027, 2, 1)


_KEEP = object()


def _with(rows, kind, starts_on=None, ends_on=_KEEP):
    return [
        setup.PhaseDates(r.kind, starts_on or r.starts_on, r.ends_on if ends_on is _KEEP else ends_on)
        if r.kind == kind
        else r
        for r in rows
    ]


@pytest.mark.parametrize(
    ("change", "fragments"),
    [
        (
            lambda rows: _with(rows, PhaseKind.AMENDMENTS, ends_on=D(2027, 3, 1)),
            ["« Amendements »", "la fin (1er mars 2027) précède le début"],
        ),
        (
            lambda rows: _with(rows, PhaseKind.NATIONAL_BUREAU, starts_on=D(2027, 3, 20), ends_on=D(2027, 3, 20)),
            ["« Amendements » et « Bureau national » se chevauchent"],
        ),
        (
            lambda rows: _with(rows, PhaseKind.MEMBERS_VOTE, starts_on=D(2027, 1, 1), ends_on=D(2027, 1, 2)),
            ["« Vote militant » commence le 1er janvier 2027, avant « Groupes de travail »", "se suivre dans l'ordre"],
        ),
        (
            lambda rows: _with(rows, PhaseKind.CONVENTION_DAY, ends_on=None),
            ["« Journée de la convention » : la date de fin est obligatoire."],
        ),
        (
            lambda rows: [r for r in rows if r.kind != PhaseKind.MEMBERS_VOTE],
            ["« Vote militant » : la date de début est obligatoire."],
        ),
        (
            lambda rows: _with(rows, PhaseKind.AMENDMENTS, starts_on=D(2027, 3, 11)),
            ["« Contributions » et « Amendements » se chevauchent", "« Groupes de travail » et « Amendements »"],
        ),
    ],
    ids=["end-before-start", "overlap", "out-of-order", "missing-end", "missing-phase", "overlap-two"],
)
def test_phases_that_do_not_hold_together_are_refused_naming_them_and_nothing_is_saved(people, change, fragments):
    convention = draft(people["bn"])
    setup.save_phases(people["bn"], convention, good_phases())
    db.session.commit()
    before = [(p.kind, p.starts_on, p.ends_on) for p in convention.phases]
    with pytest.raises(setup.SetupError) as error:
        setup.save_phases(people["bn"], convention, change(good_phases()))
    text = " ".join(error.value.messages)
    for fragment in fragments:
        assert fragment in text, text
    db.session.rollback()
    assert [(p.kind, p.starts_on, p.ends_on) for p in convention.phases] == before


def test_working_groups_and_contributions_may_run_side_by_side_but_not_share_a_day_with_the_rest():
    rows = good_phases()
    assert setup.phase_plan_problems(rows) == []
    touching = _with(rows, PhaseKind.AMENDMENTS, starts_on=rows[0].ends_on)
    assert any("se chevauchent" in m for m in setup.phase_plan_problems(touching))


# --- step c ------------------------------------------------------------------------------------------


def test_committee_members_with_an_account_get_the_committee_role_of_this_convention(people):
    bn, convention = people["bn"], draft(people["bn"])
    setup.add_committee_member(bn, convention, member_id=people["alice_member"].id)
    setup.add_committee_member(bn, convention, member_id=people["bruno"].id)
    setup.add_committee_member(bn, convention, full_name="Jeanne Experte", quality="Magistrate")
    names = [r.person.full_name for r in setup.committee_of(convention)]
    assert names == ["Alice Martin", "Bruno Petit", "Jeanne Experte"]
    alice = people["alice"]
    assert alice.has_role(Role.COMMITTEE, convention_id=convention.id)
    roles = db.session.scalars(sa.select(RoleAssignment).where(RoleAssignment.role == Role.COMMITTEE)).all()
    assert [(r.user_id, r.convention_id) for r in roles] == [(alice.id, convention.id)]
    expert = db.session.scalars(sa.select(Person).where(Person.full_name == "Jeanne Experte")).one()
    assert expert.member_id is None and expert.titles == "Magistrate"
    with pytest.raises(setup.SetupError, match="déjà au comité"):
        setup.add_committee_member(bn, convention, member_id=people["alice_member"].id)
    role = setup.committee_of(convention)[0]
    setup.remove_committee_member(bn, convention, role)
    db.session.expire_all()
    assert not db.session.get(type(alice), alice.id).has_role(Role.COMMITTEE, convention_id=convention.id)


def test_a_non_member_cannot_take_the_name_of_a_member_person(people):
    bn, convention = people["bn"], draft(people["bn"])
    setup.add_committee_member(bn, convention, member_id=people["alice_member"].id)
    with pytest.raises(setup.SetupError, match="est adhérent·e"):
        setup.add_committee_member(bn, convention, full_name="Alice Martin", quality="")


def test_a_member_never_takes_over_a_namesake_of_another_convention(people):
    """An unlinked Person of the same name (an archive's animator, an expert) stays as it was."""
    archive_person = Person(full_name="Alice Martin", first_name="Alice", last_name="Martin")
    db.session.add(archive_person)
    db.session.flush()
    bn, convention = people["bn"], draft(people["bn"])
    setup.add_committee_member(bn, convention, member_id=people["alice_member"].id)
    db.session.expire_all()
    assert db.session.get(Person, archive_person.id).member_id is None
    linked = db.session.scalars(sa.select(Person).where(Person.member_id == people["alice_member"].id)).one()
    assert linked.id != archive_person.id
    assert linked.full_name == f"Alice Martin ({people['alice_member'].membership_number})"


def test_animators_who_are_members_with_an_account_pilot_their_group_only(people):
    bn, convention = people["bn"], draft(people["bn"])
    first = setup.add_working_group(bn, convention, number=1, title="Emploi des jeunes", description="…")
    second = setup.add_working_group(bn, convention, number=2, title="Temps de travail")
    setup.add_animator(bn, convention, first, member_id=people["alice_member"].id)
    setup.add_animator(bn, convention, first, full_name="Paul Syndicaliste", quality="Secrétaire d'une union locale")
    setup.add_animator(bn, convention, second, member_id=people["bruno"].id)
    alice = people["alice"]
    assert alice.has_role(Role.PILOT, working_group_id=first.id)
    assert not alice.has_role(Role.PILOT, working_group_id=second.id)
    assert [a.person.full_name for a in first.animators] == ["Alice Martin", "Paul Syndicaliste"]
    with pytest.raises(setup.SetupError, match="n° 1"):
        setup.add_working_group(bn, convention, number=1, title="Doublon")
    setup.remove_working_group(bn, convention, first)
    db.session.flush()
    assert db.session.scalar(sa.select(sa.func.count(RoleAssignment.id)).where(RoleAssignment.role == Role.PILOT)) == 0
    assert [g.number for g in setup.groups_of(convention)] == [2]


# --- step d ------------------------------------------------------------------------------------------


def test_the_draft_text_becomes_version_1_silently_and_a_new_file_replaces_it(people):
    bn, convention = people["bn"], draft(people["bn"])
    parsed = import_document("projet.docx", build_docx())
    version = setup.confirm_draft_text(bn, convention, parsed, "projet.docx", checksum="abc")
    assert version.number == 1 and version.checksum == "abc"
    db.session.flush()
    assert db.session.scalar(sa.select(sa.func.count(Notification.id))) == 0
    assert (
        db.session.scalar(sa.select(sa.func.count(SearchDocument.id)).where(SearchDocument.kind == SearchKind.TEXT))
        == 0
    )
    other = import_document("projet.odt", build_odt(title="Un autre titre"))
    again = setup.confirm_draft_text(bn, convention, other, "projet.odt")
    assert again.number == 1 and again.source == "projet.odt"
    assert db.session.scalar(sa.select(sa.func.count(Text.id)).where(Text.convention_id == convention.id)) == 1
    assert db.session.scalar(sa.select(sa.func.count(TextVersion.id))) == 1


def test_a_file_with_errors_is_refused_and_nothing_is_written(people):
    bn, convention = people["bn"], draft(people["bn"])
    parsed = import_document("vide.docx", b"")
    with pytest.raises(setup.SetupError, match="rien n'a été enregistré"):
        setup.confirm_draft_text(bn, convention, parsed, "vide.docx")
    assert db.session.scalar(sa.select(sa.func.count(Text.id))) == 0


# --- step e ------------------------------------------------------------------------------------------


def complete(bn, people) -> Convention:
    convention = draft(bn)
    setup.save_phases(bn, convention, good_phases())
    group = setup.add_working_group(bn, convention, number=1, title="Emploi")
    setup.add_animator(bn, convention, group, member_id=people["alice_member"].id)
    setup.confirm_draft_text(bn, convention, import_document("projet.docx", build_docx()), "projet.docx")
    return convention


def test_publication_is_refused_with_the_list_of_what_is_missing(people):
    bn, convention = people["bn"], draft(people["bn"])
    setup.add_working_group(bn, convention, number=3, title="Sans animateur")
    with pytest.raises(setup.SetupError) as error:
        setup.publish_convention(bn, convention)
    text = " ".join(error.value.messages)
    assert "Aucune phase" in text and "n° 3 n'a pas d'animateur" in text and "Pas de projet de texte" in text
    assert convention.published_dt is None


def test_a_complete_draft_is_published_and_its_text_becomes_searchable(people):
    bn = people["bn"]
    convention = complete(bn, people)
    assert setup.missing_for_publication(convention) == []
    setup.publish_convention(bn, convention, now=dt.datetime(2027, 1, 1, tzinfo=dt.UTC))
    assert convention.is_published and not convention.is_featured
    assert (
        db.session.scalar(sa.select(sa.func.count(SearchDocument.id)).where(SearchDocument.kind == SearchKind.TEXT)) > 0
    )
    with pytest.raises(DomainError, match="est publiée"):
        setup.save_phases(bn, convention, good_phases())


def test_featuring_switches_exactly_one_convention(people):
    bn = people["bn"]
    old = make_convention("ancienne")
    old.published_dt, old.is_featured = dt.datetime(2025, 1, 1, tzinfo=dt.UTC), True
    new = complete(bn, people)
    with pytest.raises(DomainError, match="brouillon"):
        setup.feature_convention(bn, new)
    setup.publish_convention(bn, new)
    setup.feature_convention(bn, new)
    db.session.commit()
    featured = db.session.scalars(sa.select(Convention.slug).where(Convention.is_featured.is_(True))).all()
    assert featured == [new.slug]
    setup.feature_convention(bn, old)
    db.session.commit()
    assert db.session.scalars(sa.select(Convention.slug).where(Convention.is_featured.is_(True))).all() == ["ancienne"]


# --- refusals for anyone but the Bureau national -------------------------------------------------------


@pytest.mark.parametrize(
    "act",
    [
        lambda u, c, g: setup.create_draft(u, title="T", short_title="T"),
        lambda u, c, g: setup.update_identity(u, c, title="Volé", short_title="Volé"),
        lambda u, c, g: setup.save_phases(u, c, good_phases()),
        lambda u, c, g: setup.add_committee_member(u, c, full_name="Intrus", quality=""),
        lambda u, c, g: setup.add_working_group(u, c, number=9, title="Intrus"),
        lambda u, c, g: setup.add_animator(u, c, g, full_name="Intrus", quality=""),
        lambda u, c, g: setup.remove_working_group(u, c, g),
        lambda u, c, g: setup.confirm_draft_text(u, c, import_document("p.docx", build_docx()), "p.docx"),
        lambda u, c, g: setup.publish_convention(u, c),
        lambda u, c, g: setup.feature_convention(u, c),
    ],
    ids=[
        "create",
        "identity",
        "phases",
        "committee",
        "group",
        "animator",
        "remove-group",
        "text",
        "publish",
        "feature",
    ],
)
def test_anyone_but_the_bureau_is_refused_with_nothing_changed(people, act):
    bn = people["bn"]
    convention = draft(bn)
    group = setup.add_working_group(bn, convention, number=1, title="Emploi")
    db.session.commit()
    counts = (
        audit_count(),
        db.session.scalar(sa.select(sa.func.count(Convention.id))),
        db.session.scalar(sa.select(sa.func.count(WorkingGroup.id))),
        db.session.scalar(sa.select(sa.func.count(SteeringRole.id))),
    )
    with pytest.raises(PermissionDenied):
        act(people["plain"], convention, group)
    db.session.rollback()
    assert (
        audit_count(),
        db.session.scalar(sa.select(sa.func.count(Convention.id))),
        db.session.scalar(sa.select(sa.func.count(WorkingGroup.id))),
        db.session.scalar(sa.select(sa.func.count(SteeringRole.id))),
    ) == counts
    assert convention.title != "Volé" and convention.published_dt is None
