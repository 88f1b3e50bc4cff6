"""The Bureau national's administration pages (HTTP)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa

from convention.conventions.models import Convention, Phase
from convention.core.audit import AuditEntry
from convention.domain.phases import PhaseKind
from convention.domain.roles import Role
from convention.extensions import db, limiter
from convention.members.models import RoleAssignment
from tests.auth_fixtures import (
    login,
    make_convention,
    make_federation,
    make_group,
    make_member,
    make_section,
    make_user,
    page_text,
    switch_user,
)


@pytest.fixture(autouse=True)
def _fresh_limits(app):
    limiter.reset()


@pytest.fixture()
def site(database):
    convention = make_convention()
    isere = make_federation()
    grenoble = make_section(isere)
    group = make_group(convention)
    make_user("bn@example.org", roles=[(Role.NATIONAL_BUREAU, None)])
    make_user("militant@example.org", member=make_member(grenoble))
    make_user("committee@example.org", roles=[(Role.COMMITTEE, convention)])
    make_user("fed@example.org", roles=[(Role.FEDERATION_SECRETARY, isere)])
    db.session.commit()
    return {"convention": convention, "section": grenoble, "federation": isere, "group": group}


def _convention() -> Convention:
    db.session.expire_all()
    return db.session.scalars(sa.select(Convention)).one()


def _phase(kind: PhaseKind) -> Phase:
    return _convention().phase(kind)


def _audit_actions() -> list[str]:
    return list(db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)))


ADMIN_PAGES = [
    ("get", "/administration/"),
    ("get", "/administration/roles"),
    ("get", "/administration/phases/{phase_id}"),
    ("post", "/administration/phase-en-cours"),
    ("post", "/administration/phases/{phase_id}"),
]


@pytest.mark.parametrize(("method", "path"), ADMIN_PAGES)
@pytest.mark.parametrize(
    "email", ["militant@example.org", "committee@example.org", "fed@example.org"]
)
def test_admin_pages_are_forbidden_to_other_roles(client, site, method, path, email):
    login(client, email)
    phase_id = site["convention"].phases[0].id
    data = {"phase": "amendments", "confirm": "y", "starts_on": "2026-01-01"}
    response = getattr(client, method)(path.format(phase_id=phase_id), data=data)
    assert response.status_code == 403
    html = page_text(response)
    assert "Accès refusé" in html and 'lang="fr"' in html
    assert _convention().phase_override is None
    assert _phase(PhaseKind.WORKING_GROUPS).starts_on == dt.date(2026, 1, 10)


@pytest.mark.parametrize(("method", "path"), ADMIN_PAGES)
def test_anonymous_visitors_are_sent_to_the_login_page(client, site, method, path):
    phase_id = site["convention"].phases[0].id
    response = getattr(client, method)(path.format(phase_id=phase_id))
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/compte/connexion?next=")


def test_index_lists_the_phases_and_the_current_one(client, site):
    login(client, "bn@example.org")
    response = client.get("/administration/")
    assert response.status_code == 200
    html = page_text(response)
    for label in ("Groupes de travail", "Amendements", "Vote militant", "Texte adopté"):
        assert label in html
    assert "10 janvier 2026" in html
    assert "Je confirme ce changement de phase" in html


def test_override_needs_the_confirmation_box(client, site):
    login(client, "bn@example.org")
    response = client.post("/administration/phase-en-cours", data={"phase": "members_vote"})
    assert response.status_code == 400
    assert "Cochez la case pour confirmer" in page_text(response)
    assert _convention().phase_override is None
    assert "convention.phase_override" not in _audit_actions()


def test_override_and_back_to_dates(client, site):
    login(client, "bn@example.org")
    response = client.post(
        "/administration/phase-en-cours",
        data={"phase": "members_vote", "confirm": "y"},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "La phase « Vote militant » est désormais imposée." in page_text(response)
    assert _convention().phase_override is PhaseKind.MEMBERS_VOTE
    assert _convention().current_phase_kind(dt.date(2026, 1, 20)) is PhaseKind.MEMBERS_VOTE
    entry = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "convention.phase_override")
    ).one()
    assert entry.data == {"old": None, "new": "members_vote"}

    response = client.post(
        "/administration/phase-en-cours", data={"phase": "", "confirm": "y"}, follow_redirects=True
    )
    assert "suit de nouveau les dates" in page_text(response)
    assert _convention().phase_override is None


def test_override_refuses_an_unknown_phase(client, site):
    login(client, "bn@example.org")
    response = client.post("/administration/phase-en-cours", data={"phase": "x", "confirm": "y"})
    assert response.status_code == 400
    assert _convention().phase_override is None


def test_edit_phase_dates(client, site):
    login(client, "bn@example.org")
    phase_id = _phase(PhaseKind.AMENDMENTS).id
    page = client.get(f"/administration/phases/{phase_id}")
    assert page.status_code == 200
    assert 'value="2026-05-01"' in page_text(page)
    response = client.post(
        f"/administration/phases/{phase_id}",
        data={"starts_on": "2026-05-04", "ends_on": "2026-06-01"},
        follow_redirects=True,
    )
    assert "Les dates de la phase « Amendements » sont enregistrées." in page_text(response)
    phase = _phase(PhaseKind.AMENDMENTS)
    assert (phase.starts_on, phase.ends_on) == (dt.date(2026, 5, 4), dt.date(2026, 6, 1))
    entry = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "phase.update_dates")
    ).one()
    assert entry.data["old"] == {"starts_on": "2026-05-01", "ends_on": "2026-05-31"}
    assert entry.data["new"] == {"starts_on": "2026-05-04", "ends_on": "2026-06-01"}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"starts_on": "2026-05-10", "ends_on": "2026-05-09"}, "ne peut pas précéder"),
        ({"starts_on": "", "ends_on": "2026-05-09"}, "Indiquez la date de début"),
        ({"starts_on": "10/05/2026", "ends_on": ""}, "date"),
    ],
)
def test_edit_phase_dates_errors_are_french(client, site, data, message):
    login(client, "bn@example.org")
    phase_id = _phase(PhaseKind.AMENDMENTS).id
    response = client.post(f"/administration/phases/{phase_id}", data=data)
    assert response.status_code == 400
    assert message in page_text(response)
    phase = _phase(PhaseKind.AMENDMENTS)
    assert (phase.starts_on, phase.ends_on) == (dt.date(2026, 5, 1), dt.date(2026, 5, 31))


def test_open_ended_phase(client, site):
    login(client, "bn@example.org")
    phase_id = _phase(PhaseKind.MEMBERS_VOTE).id
    response = client.post(
        f"/administration/phases/{phase_id}", data={"starts_on": "2026-06-10", "ends_on": ""}
    )
    assert response.status_code == 302
    assert _phase(PhaseKind.MEMBERS_VOTE).ends_on is None


# --- roles ------------------------------------------------------------------------------------


def test_assign_and_revoke_a_role(client, site):
    login(client, "bn@example.org")
    assert client.get("/administration/roles").status_code == 200
    response = client.post(
        "/administration/roles",
        data={
            "email": "militant@example.org",
            "role": "section_secretary",
            "section_id": str(site["section"].id),
            "working_group_id": "",
            "federation_id": "",
        },
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "Rôle attribué" in page_text(response)
    assignment = db.session.scalars(
        sa.select(RoleAssignment).where(RoleAssignment.role == Role.SECTION_SECRETARY)
    ).one()
    assert assignment.section_id == site["section"].id
    # the new secretary now sees the section's members
    section_page = f"/adherents/section/{site['section'].id}"
    switch_user(client, "militant@example.org")
    assert client.get(section_page).status_code == 200

    switch_user(client, "bn@example.org")
    assignment_id = assignment.id
    response = client.post(f"/administration/roles/{assignment_id}/retrait", follow_redirects=True)
    assert "Rôle « Secrétaire de section » retiré" in page_text(response)
    db.session.expire_all()
    assert db.session.get(RoleAssignment, assignment_id) is None
    switch_user(client, "militant@example.org")
    assert client.get(section_page).status_code == 403
    role_actions = [a for a in _audit_actions() if a.startswith("role.")]
    assert role_actions == ["role.assign", "role.revoke"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"email": "personne@example.org", "role": "national_bureau"}, "Aucun compte"),
        ({"email": "militant@example.org", "role": "pilot"}, "périmètre"),
    ],
)
def test_assign_role_errors(client, site, data, message):
    login(client, "bn@example.org")
    form = {"working_group_id": "", "section_id": "", "federation_id": "", **data}
    response = client.post("/administration/roles", data=form)
    assert response.status_code == 400
    assert message in page_text(response)


def test_forbidden_revoke(client, site):
    login(client, "militant@example.org")
    assignment_id = db.session.scalars(sa.select(RoleAssignment.id)).first()
    assert client.post(f"/administration/roles/{assignment_id}/retrait").status_code == 403
    assert db.session.get(RoleAssignment, assignment_id) is not None


# --- CSRF on (as in production) -----------------------------------------------------------------


def test_forged_phase_forms_are_refused(client, site, app, monkeypatch):
    login(client, "bn@example.org")  # CSRF is off for the login itself
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    phase_id = _phase(PhaseKind.AMENDMENTS).id
    forged = client.post(
        "/administration/phase-en-cours", data={"phase": "members_vote", "confirm": "y"}
    )
    assert forged.status_code == 400
    assert "jeton de sécurité" in page_text(forged)
    forged = client.post(
        f"/administration/phases/{phase_id}", data={"starts_on": "2026-05-02", "ends_on": ""}
    )
    assert forged.status_code == 400
    assert _convention().phase_override is None
    assert _phase(PhaseKind.AMENDMENTS).starts_on == dt.date(2026, 5, 1)
    assert "convention.phase_override" not in _audit_actions()

    # the real form, with the token of the page, goes through
    html = page_text(client.get("/administration/"))
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    response = client.post(
        "/administration/phase-en-cours",
        data={"phase": "members_vote", "confirm": "y", "csrf_token": token},
    )
    assert response.status_code == 302
    assert _convention().phase_override is PhaseKind.MEMBERS_VOTE


def test_index_without_a_convention(client, database):
    make_user("bn@example.org", roles=[(Role.NATIONAL_BUREAU, None)])
    db.session.commit()
    login(client, "bn@example.org")
    response = client.get("/administration/")
    assert response.status_code == 200
    assert "Aucune convention" in page_text(response)
    assert client.post("/administration/phase-en-cours", data={"confirm": "y"}).status_code == 404
