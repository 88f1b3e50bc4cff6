"""The conventions page and the new-convention wizard through HTTP: who may see it, each step, CSRF."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
import sqlalchemy as sa

from convention.conventions import setup
from convention.conventions.models import Convention, Phase
from convention.domain.phases import PHASE_ORDER
from convention.domain.roles import Role
from convention.extensions import db, limiter
from convention.groups.models import WorkingGroup
from convention.members.models import RoleAssignment
from convention.texts.models import Text, TextVersion
from tests.auth_fixtures import (
    PASSWORD,
    login,
    make_convention,
    make_federation,
    make_member,
    make_section,
    make_user,
    page_text,
)
from tests.unit.test_document_import import build_docx, build_odt

BASE = "/administration/conventions"


@pytest.fixture()
def world(database):
    section = make_section(make_federation())
    archive = make_convention("securite")
    archive.published_dt, archive.is_featured = dt.datetime(2025, 1, 1, tzinfo=dt.UTC), True
    make_user("bn@example.org", roles=[(Role.NATIONAL_BUREAU, None)])
    alice = make_member(section, "Alice", "Martin")
    make_user(member=alice)
    make_user("militant@example.org", member=make_member(section, "Chloé", "Simon"))
    db.session.commit()
    return {"archive": archive, "alice": alice}


def as_bn(client):
    assert login(client, "bn@example.org").status_code == 302
    return client


def new_draft(client, title="Convention nationale sur le travail", slug="") -> Convention:
    response = client.post(
        f"{BASE}/nouvelle",
        data={"title": title, "short_title": "Travail", "slug": slug, "description": "Préparer le projet."},
    )
    assert response.status_code == 302, page_text(response)
    return db.session.scalars(sa.select(Convention).order_by(Convention.id.desc()).limit(1)).one()


def phase_data(start=dt.date(2027, 1, 10)) -> dict[str, str]:
    from tests.integration.test_convention_setup_operations import good_phases

    data = {}
    for row in good_phases(start):
        data[f"{row.kind.value}_start"] = row.starts_on.isoformat()
        data[f"{row.kind.value}_end"] = row.ends_on.isoformat() if row.ends_on else ""
    return data


# --- access ---------------------------------------------------------------------------------------


def step_paths(convention_id: int) -> list[str]:
    c = f"{BASE}/{convention_id}"
    return [
        f"{BASE}/",
        f"{BASE}/nouvelle",
        f"{c}/identite",
        f"{c}/phases",
        f"{c}/equipes",
        f"{c}/texte",
        f"{c}/publication",
    ]


def test_every_step_is_the_bureaus(client, world):
    as_bn(client)
    convention = new_draft(client)
    for path in step_paths(convention.id):
        response = client.get(path)
        assert response.status_code == 200, path
        html = response.get_data(as_text=True)
        if path != f"{BASE}/":
            assert 'aria-current="step"' in html, path
        # The site's header stays the featured convention's: the draft is only the page's subject.
        assert '<span class="brand-title">Sécurité et prévention</span>' in html, path
    assert client.get(f"{BASE}/{world['archive'].id}/mettre-en-avant").status_code == 200


def test_visitors_go_to_the_login_page_and_members_are_refused(client, world):
    with client.application.app_context():
        convention = setup.create_draft(_bn(), title="Brouillon", short_title="Brouillon")
        db.session.commit()
        convention_id = convention.id
    paths = step_paths(convention_id) + [f"{BASE}/{world['archive'].id}/mettre-en-avant"]
    for path in paths:
        response = client.get(path)
        assert response.status_code == 302 and "/compte/connexion" in response.headers["Location"], path
    login(client, "militant@example.org")
    for path in paths:
        assert client.get(path).status_code == 403, path
    assert client.post(f"{BASE}/nouvelle", data={"title": "X", "short_title": "X"}).status_code == 403
    assert client.post(f"{BASE}/{world['archive'].id}/mettre-en-avant").status_code == 403
    assert db.session.scalar(sa.select(sa.func.count(Convention.id))) == 2


def _bn():
    from convention.members.models import User

    return db.session.scalars(sa.select(User).where(User.email == "bn@example.org")).one()


def test_a_draft_is_invisible_to_members_until_it_is_published(client, world):
    as_bn(client)
    convention = new_draft(client, slug="travail-2027")
    assert client.get("/c/travail-2027/").status_code == 200  # the Bureau national sees its draft
    listing = page_text(client.get(f"{BASE}/"))
    assert "Brouillon" in listing and "Reprendre la configuration" in listing
    client.post("/compte/deconnexion")
    assert client.get("/c/travail-2027/").status_code == 404
    assert "Travail" not in page_text(client.get("/"))
    login(client, "militant@example.org")
    assert client.get("/c/travail-2027/").status_code == 404
    with client.application.app_context():
        c = db.session.get(Convention, convention.id)
        c.published_dt = dt.datetime(2027, 1, 1, tzinfo=dt.UTC)
        db.session.commit()
    assert client.get("/c/travail-2027/").status_code == 200


# --- step a and b ---------------------------------------------------------------------------------


def test_the_first_step_creates_a_draft_and_a_taken_address_is_refused(client, world):
    as_bn(client)
    convention = new_draft(client)
    assert convention.slug == "convention-nationale-sur-le-travail" and convention.published_dt is None
    response = client.post(f"{BASE}/nouvelle", data={"title": "Autre", "short_title": "Autre", "slug": "securite"})
    assert response.status_code == 422
    assert "déjà celle d'une autre convention" in page_text(response)
    assert db.session.scalar(sa.select(sa.func.count(Convention.id))) == 2


def test_phases_are_saved_or_refused_in_french_with_nothing_saved(client, world):
    as_bn(client)
    convention = new_draft(client)
    bad = phase_data() | {"amendments_end": "2027-03-01"}
    response = client.post(f"{BASE}/{convention.id}/phases", data=bad)
    assert response.status_code == 422
    html = page_text(response)
    assert "« Amendements » : la fin (1er mars 2027) précède le début" in html
    assert db.session.scalar(sa.select(sa.func.count(Phase.id)).where(Phase.convention_id == convention.id)) == 0
    response = client.post(f"{BASE}/{convention.id}/phases", data=phase_data())
    assert response.status_code == 302 and response.headers["Location"].endswith(f"{convention.id}/equipes")
    kinds = db.session.scalars(
        sa.select(Phase.kind).where(Phase.convention_id == convention.id).order_by(Phase.position)
    ).all()
    assert kinds == list(PHASE_ORDER)
    # The dates come back in the form to be changed.
    assert 'value="2027-01-10"' in client.get(f"{BASE}/{convention.id}/phases").get_data(as_text=True)


# --- step c ---------------------------------------------------------------------------------------


def test_members_are_found_by_name_or_number_and_named_with_their_roles(client, world):
    as_bn(client)
    convention = new_draft(client)
    alice = world["alice"]
    by_name = page_text(client.get(f"{BASE}/{convention.id}/equipes?pour=comite&q=alice mar"))
    assert "Alice Martin" in by_name and alice.membership_number in by_name
    by_number = page_text(client.get(f"{BASE}/{convention.id}/equipes?pour=comite&q={alice.membership_number}"))
    assert "Alice Martin" in by_number
    assert "Aucun·e adhérent·e ne correspond" in page_text(client.get(f"{BASE}/{convention.id}/equipes?q=zzzz"))

    assert client.post(f"{BASE}/{convention.id}/equipes/comite", data={"member_id": alice.id}).status_code == 302
    response = client.post(
        f"{BASE}/{convention.id}/equipes/comite",
        data={"comite-full_name": "Jeanne Experte", "comite-quality": "Magistrate"},
    )
    assert response.status_code == 302
    assert (
        client.post(f"{BASE}/{convention.id}/equipes/groupes", data={"number": "1", "title": "Emploi"}).status_code
        == 302
    )
    group = db.session.scalars(sa.select(WorkingGroup).where(WorkingGroup.convention_id == convention.id)).one()
    response = client.post(
        f"{BASE}/{convention.id}/equipes/groupes/{group.id}/animateurs", data={"member_id": alice.id}
    )
    assert response.status_code == 302
    roles = db.session.scalars(sa.select(RoleAssignment).where(RoleAssignment.user_id == alice.user.id)).all()
    assert {(r.role, r.convention_id, r.working_group_id) for r in roles} == {
        (Role.COMMITTEE, convention.id, None),
        (Role.PILOT, None, group.id),
    }
    html = page_text(client.get(f"{BASE}/{convention.id}/equipes"))
    assert "Jeanne Experte" in html and "Magistrate" in html and "Groupe n° 1 : Emploi" in html
    # An empty name is refused with the page and nothing added.
    response = client.post(
        f"{BASE}/{convention.id}/equipes/groupes/{group.id}/animateurs", data={f"groupe{group.id}-full_name": ""}
    )
    assert response.status_code == 422 and "Le nom est obligatoire" in page_text(response)
    # Deleting a group is confirmed first.
    assert "Confirmer : supprimer le groupe" in page_text(
        client.get(f"{BASE}/{convention.id}/equipes/groupes/{group.id}/supprimer")
    )
    assert client.post(f"{BASE}/{convention.id}/equipes/groupes/{group.id}/supprimer").status_code == 302
    assert (
        db.session.scalar(sa.select(sa.func.count(WorkingGroup.id)).where(WorkingGroup.convention_id == convention.id))
        == 0
    )


# --- step d ---------------------------------------------------------------------------------------


def upload(client, convention_id, name, data):
    return client.post(
        f"{BASE}/{convention_id}/texte",
        data={"file": (io.BytesIO(data), name), "format": "auto"},
        content_type="multipart/form-data",
    )


def test_the_text_is_previewed_then_confirmed_as_version_1(client, world):
    as_bn(client)
    convention = new_draft(client)
    response = upload(client, convention.id, "projet.docx", build_docx())
    assert response.status_code == 200
    html = page_text(response)
    assert "Aperçu : « projet.docx »" in html and "2 parties" in html and "Plan du texte" in html
    assert "proposition" in html
    # A new file replaces the preview; nothing is written until confirmed.
    response = upload(client, convention.id, "projet.odt", build_odt())
    html = page_text(response)
    assert "Aperçu : « projet.odt »" in html and "projet.docx" not in html
    assert db.session.scalar(sa.select(sa.func.count(Text.id))) == 0
    token = re.search(r'name="upload" type="hidden" value="([^"]+)"', response.get_data(as_text=True)).group(1)
    response = client.post(f"{BASE}/{convention.id}/texte/confirmer", data={"upload": token})
    assert response.status_code == 302 and response.headers["Location"].endswith("/publication")
    version = db.session.scalars(sa.select(TextVersion)).one()
    assert version.number == 1 and version.source == "projet.odt"


def test_a_preview_made_for_one_draft_is_refused_on_another(client, world):
    as_bn(client)
    first = new_draft(client)
    second = new_draft(client, title="Convention nationale sur la santé")
    response = upload(client, first.id, "projet.docx", build_docx())
    token = re.search(r'name="upload" type="hidden" value="([^"]+)"', response.get_data(as_text=True)).group(1)
    response = client.post(f"{BASE}/{second.id}/texte/confirmer", data={"upload": token}, follow_redirects=True)
    assert "autre convention" in page_text(response)
    assert db.session.scalar(sa.select(sa.func.count(Text.id))) == 0


def test_a_malformed_file_gives_a_french_message_and_changes_nothing(client, world):
    as_bn(client)
    convention = new_draft(client)
    response = upload(client, convention.id, "tronque.docx", build_docx()[:3000])
    assert response.status_code == 422
    assert "est abîmé" in page_text(response) and "rien n'a été enregistré" in page_text(response)
    response = client.post(f"{BASE}/{convention.id}/texte/confirmer", data={"upload": "falsifié"})
    assert response.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(Text.id))) == 0


# --- step e and featuring -------------------------------------------------------------------------


def test_publication_is_refused_with_what_is_missing_then_done(client, world):
    as_bn(client)
    convention = new_draft(client)
    response = client.post(f"{BASE}/{convention.id}/publication", data={"confirm": "y"})
    assert response.status_code == 422
    html = page_text(response)
    assert "Aucune phase" in html and "Pas de projet de texte" in html and "Aucun groupe" in html
    assert client.post(f"{BASE}/{convention.id}/publication", data={}).status_code == 422  # not confirmed
    client.post(f"{BASE}/{convention.id}/phases", data=phase_data())
    client.post(f"{BASE}/{convention.id}/equipes/groupes", data={"number": "1", "title": "Emploi"})
    group = db.session.scalars(sa.select(WorkingGroup).where(WorkingGroup.convention_id == convention.id)).one()
    client.post(f"{BASE}/{convention.id}/equipes/groupes/{group.id}/animateurs", data={"member_id": world["alice"].id})
    response = upload(client, convention.id, "projet.docx", build_docx())
    token = re.search(r'name="upload" type="hidden" value="([^"]+)"', response.get_data(as_text=True)).group(1)
    client.post(f"{BASE}/{convention.id}/texte/confirmer", data={"upload": token})
    assert client.get(f"{BASE}/{convention.id}/").headers["Location"].endswith("/publication")
    assert client.post(f"{BASE}/{convention.id}/publication", data={}).status_code == 422
    response = client.post(f"{BASE}/{convention.id}/publication", data={"confirm": "y"})
    assert response.status_code == 302
    db.session.expire_all()
    published = db.session.get(Convention, convention.id)
    assert published.is_published and not published.is_featured
    # Published: the wizard no longer changes it.
    assert client.get(f"{BASE}/{convention.id}/phases").status_code == 302
    # Featuring: confirmed, then exactly one.
    assert "Confirmer : mettre en avant" in page_text(client.get(f"{BASE}/{convention.id}/mettre-en-avant"))
    assert client.post(f"{BASE}/{convention.id}/mettre-en-avant").status_code == 302
    featured = db.session.scalars(sa.select(Convention.id).where(Convention.is_featured.is_(True))).all()
    assert featured == [convention.id]


def test_a_draft_cannot_be_featured(client, world):
    as_bn(client)
    convention = new_draft(client)
    assert client.post(f"{BASE}/{convention.id}/mettre-en-avant").status_code == 409
    assert db.session.get(Convention, world["archive"].id).is_featured


# --- CSRF -----------------------------------------------------------------------------------------


@pytest.fixture()
def csrf_on(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    limiter.reset()
    yield


def _token(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert match
    return match.group(1)


def test_forged_wizard_posts_are_refused_with_nothing_changed(client, world, csrf_on):
    token = _token(page_text(client.get("/compte/connexion")))
    client.post("/compte/connexion", data={"email": "bn@example.org", "password": PASSWORD, "csrf_token": token})
    archive_id = world["archive"].id
    assert client.post(f"{BASE}/nouvelle", data={"title": "Forgé", "short_title": "Forgé"}).status_code == 400
    with client.application.app_context():
        draft_id = setup.create_draft(_bn(), title="Brouillon", short_title="Brouillon").id
        db.session.commit()
    forged = [
        (f"{BASE}/{draft_id}/phases", phase_data()),
        (f"{BASE}/{draft_id}/equipes/groupes", {"number": "1", "title": "Forgé"}),
        (f"{BASE}/{draft_id}/equipes/comite", {"comite-full_name": "Forgé"}),
        (f"{BASE}/{draft_id}/publication", {"confirm": "y"}),
        (f"{BASE}/{archive_id}/mettre-en-avant", {}),
    ]
    for path, data in forged:
        assert client.post(path, data=data).status_code == 400, path
    assert db.session.scalar(sa.select(sa.func.count(Convention.id))) == 2
    assert db.session.scalar(sa.select(sa.func.count(Phase.id)).where(Phase.convention_id == draft_id)) == 0
    assert db.session.scalar(sa.select(sa.func.count(WorkingGroup.id))) == 0
    # With the page's token, the same step works.
    token = _token(page_text(client.get(f"{BASE}/{draft_id}/equipes")))
    response = client.post(
        f"{BASE}/{draft_id}/equipes/groupes", data={"number": "1", "title": "Emploi", "csrf_token": token}
    )
    assert response.status_code == 302
