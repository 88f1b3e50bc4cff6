"""The versions pages: the list, a status confirmed by the Bureau national, a new version from a file
(upload → preview → publish or cancel), and the difference between two versions per chapter."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from convention.amendments import consolidation
from convention.amendments import operations as ops
from convention.core.audit import AuditEntry
from convention.domain.amendments import AmendmentStatus
from convention.domain.phases import PhaseKind
from convention.extensions import db
from convention.notifications.models import Notification, NotificationKind
from convention.texts.models import TextVersion, VersionStatus
from tests.amendment_fixtures import P1, P3, Q1, Q2, TODAY, build_world, edit, load_world, log_in, submit

VERSIONS = "/texte/versions/"
UPLOAD = "/texte/versions/nouvelle"
PUBLISH = "/texte/versions/nouvelle/publier"
DIFF = "/texte/versions/difference"


def text(response) -> str:
    return response.get_data(as_text=True)


def decide(world, amendment, status=AmendmentStatus.ADOPTED):
    committee = world.users["committee"]
    ops.declare_admissibility(committee, amendment, True, "Recevable.", today=TODAY)
    ops.decide_amendment(committee, amendment, status, "Décision du comité.", "", today=TODAY)
    db.session.commit()
    return amendment


def versions() -> list[TextVersion]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(TextVersion).order_by(TextVersion.number)))


def text_notifications() -> list[Notification]:
    # In the order they were sent: PostgreSQL returns rows without ORDER BY in any order.
    return list(db.session.scalars(
        sa.select(Notification).where(Notification.kind == NotificationKind.TEXT_VERSION).order_by(Notification.id)
    ))


def audit_actions() -> list[str]:
    return list(db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)))


@pytest.fixture()
def world(database, app):
    world = build_world(PhaseKind.AMENDMENTS)
    world.convention.amendment_cosignatures_required = 0
    db.session.commit()
    return world


@pytest.fixture()
def consolidated(world):
    """Version 2 consolidated from three adopted amendments (a change, a deletion, an insertion)."""
    grenoble = submit(world, "section_secretary", "I-1-1", unit=world.section,
                      edited=edit(P1, "dès l'école", "dès la petite enfance"))  # fmt: skip
    deletion = submit(world, "member_paid", "I-1-3", requested=ops.RequestedKind.DELETE)
    insertion = submit(world, "author", "I-2-1", requested=ops.RequestedKind.INSERT,
                       edited="Un juge des enfants sera nommé dans chaque tribunal judiciaire.")  # fmt: skip
    for amendment in (grenoble, deletion, insertion):
        decide(world, amendment)
    world = load_world()
    consolidation.consolidate_text_version(world.users["committee"], world.version)
    db.session.commit()
    world = load_world()
    world.amendments = {"grenoble": grenoble, "deletion": deletion, "insertion": insertion}
    return world


# --- the list ----------------------------------------------------------------------------------


def test_the_versions_page_lists_every_version_with_its_status_and_date(consolidated, client):
    page = text(client.get(VERSIONS))
    assert "Les versions du texte" in page
    assert "Version 2" in page and "Version 1" in page
    assert "Texte amendé" in page and "Projet de texte" in page
    assert "publiée le" in page
    assert 'href="/texte/?version=1"' in page  # the older version keeps its stable URL
    assert f'href="{DIFF}?de=1&amp;a=2"' in page
    assert "Bureau national" not in page.split("<main", 1)[-1].split("Les versions du texte", 1)[0]
    assert "/statut" not in page and UPLOAD not in page  # a visitor sees no control
    # The text page and the chapter page link to it, and the chapter page to the chapter's difference.
    assert f'href="{VERSIONS}"' in text(client.get("/texte/"))
    chapter = text(client.get("/texte/chapitre/I-1"))
    assert f'href="{VERSIONS}"' in chapter
    assert f'href="{DIFF}?de=1&amp;a=2&amp;chapitre=I-1"' in chapter
    # An older version is still readable at its number.
    old = text(client.get("/texte/chapitre/I-1?version=1"))
    assert 'id="I-1-3"' in old and 'id="I-1-3"' not in chapter  # deleted by version 2


def test_the_bureau_sees_its_controls(consolidated, client):
    log_in(client, consolidated.users["national_bureau"])
    page = text(client.get(VERSIONS))
    assert 'href="/texte/versions/2/statut?statut=adopted_by_bn"' in page
    assert "statut=submitted_to_vote" not in page  # not reachable from « texte amendé »
    assert f'href="{UPLOAD}"' in page


# --- statuses -----------------------------------------------------------------------------------


def test_the_bureau_confirms_a_status_and_the_members_are_told(consolidated, client):
    log_in(client, consolidated.users["national_bureau"])
    before = len(text_notifications())
    confirm = client.get("/texte/versions/2/statut?statut=adopted_by_bn")
    assert confirm.status_code == 200
    page = text(confirm)
    assert "Confirmer le statut de la version 2" in page
    assert "Adopté par le Bureau national" in page and "seront prévenu·es" in page
    assert versions()[1].status == VersionStatus.AMENDED  # nothing changed by the confirmation page

    response = client.post("/texte/versions/2/statut", data={"status": "adopted_by_bn"})
    assert response.status_code == 302 and response.headers["Location"].endswith(VERSIONS)
    assert versions()[1].status == VersionStatus.ADOPTED_BY_BN
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "text_version.status_changed")).one()
    assert entry.actor_id == consolidated.users["national_bureau"].id
    assert entry.data["source"] == "amended" and entry.data["target"] == "adopted_by_bn"
    told = text_notifications()[before:]
    assert len(told) == len(consolidated.users)
    assert "adopté par le bureau national" in told[0].subject and told[0].url == "/texte/?version=2"
    assert "La version 2 est désormais : Adopté par le Bureau national." in text(client.get(VERSIONS))

    # Onwards: submitted to the vote, then adopted; then nothing more.
    assert client.post("/texte/versions/2/statut", data={"status": "submitted_to_vote"}).status_code == 302
    assert client.post("/texte/versions/2/statut", data={"status": "adopted"}).status_code == 302
    assert versions()[1].status == VersionStatus.ADOPTED
    assert len(text_notifications()) == before + 3 * len(consolidated.users)
    assert "son statut est définitif" in text(client.get(VERSIONS))


def test_an_illegal_status_is_a_409_that_says_what_is_possible(consolidated, client):
    log_in(client, consolidated.users["national_bureau"])
    for response in (
        client.get("/texte/versions/2/statut?statut=adopted"),
        client.post("/texte/versions/2/statut", data={"status": "adopted"}),
    ):
        assert response.status_code == 409
        page = text(response)
        assert "La version 2 est un texte amendé : on ne peut pas la déclarer adoptée." in page
        assert "Possible maintenant : la déclarer adoptée par le Bureau national." in page
    old = client.post("/texte/versions/1/statut", data={"status": "amended"})
    assert old.status_code == 409 and "plus la version actuelle" in text(old)
    assert client.get("/texte/versions/2/statut?statut=inconnu").status_code == 404
    assert client.get("/texte/versions/9/statut?statut=adopted_by_bn").status_code == 404
    assert [v.status for v in versions()] == [VersionStatus.DRAFT, VersionStatus.AMENDED]
    assert "text_version.status_changed" not in audit_actions()


@pytest.mark.parametrize("who", ["member_paid", "committee", "pilot_this_group", "section_secretary"])
def test_only_the_bureau_sets_a_status_or_uploads(consolidated, client, who):
    log_in(client, consolidated.users[who])
    assert client.get("/texte/versions/2/statut?statut=adopted_by_bn").status_code == 403
    assert client.post("/texte/versions/2/statut", data={"status": "adopted_by_bn"}).status_code == 403
    assert client.get(UPLOAD).status_code == 403
    assert client.post(PUBLISH, data={"upload": "x", "status": "amended"}).status_code == 403
    assert versions()[1].status == VersionStatus.AMENDED


def test_a_visitor_is_sent_to_the_login_page(consolidated, client):
    for response in (client.get("/texte/versions/2/statut?statut=adopted_by_bn"), client.get(UPLOAD)):
        assert response.status_code == 302 and "/connexion" in response.headers["Location"]


# --- a new version from a file -----------------------------------------------------------------


def document(p1: str = P1, q2: str = Q2, extra: str = "") -> str:
    """The world's text as a Markdown file (its proposal written as a plain paragraph)."""
    p2 = "Créer une maison de la justice et du droit dans chaque département d'ici à la fin du mandat."
    return (
        "# I. Prévenir et protéger\n\n## 1. La prévention\n\n"
        f"{p1}\n\n{p2}\n\n{P3}\n\n"
        f"## 2. La justice\n\n{Q1}\n\n{q2}\n\n{extra}"
    )


def upload(client, body: str, name: str = "texte.md", fmt: str = "auto"):
    import io

    return client.post(
        UPLOAD,
        data={"file": (io.BytesIO(body.encode("utf-8")), name), "format": fmt},
        content_type="multipart/form-data",
    )


def token_of(page: str) -> str:
    match = re.search(r'name="upload" type="hidden" value="([^"]+)"', page) or re.search(
        r'id="upload" name="upload" type="hidden" value="([^"]+)"', page
    )
    assert match, "no upload token in the preview"
    return match.group(1)


def test_a_refused_file_shows_the_importers_errors_with_their_lines(world, client):
    log_in(client, world.users["national_bureau"])
    before = audit_actions()
    response = upload(client, "# I. Prévenir\n\n## 1. Un\n\nUn alinéa.\n\n## 1. Deux\n\nUn autre.\n")
    assert response.status_code == 422
    page = text(response)
    assert "rien n&#39;a été publié" in page or "rien n'a été publié" in page
    assert "Ligne 7" in page and "le chapitre 1 apparaît deux fois" in page
    binary = upload(client, "abc\x00def")
    assert binary.status_code == 422 and "binaire" in text(binary)
    wrong = upload(client, "texte", name="texte.pdf")
    assert wrong.status_code == 400 and "seul un fichier texte" in text(wrong)
    assert len(versions()) == 1 and audit_actions() == before


def test_upload_preview_then_publish(world, client):
    log_in(client, world.users["national_bureau"])
    assert "Publier une nouvelle version depuis un fichier" in text(client.get(UPLOAD))
    before_notes, before_audit = len(text_notifications()), audit_actions()
    body = document(p1=edit(P1, "éducateurs de rue", "éducateurs spécialisés"), q2="",
                    extra="Un juge des enfants dans chaque tribunal.\n")  # fmt: skip
    response = upload(client, body)
    assert response.status_code == 200
    page = text(response)
    assert "Aperçu de la nouvelle version" in page
    assert "2 chapitres" in page and "5 alinéas" in page and "0 proposition" in page
    assert "Ce qui change par rapport à la version 1" in page
    assert "2 alinéas modifiés" in page and "3 inchangés" in page
    assert '<del><span class="visually-hidden">[supprimé : </span>de rue' in page
    assert '<ins><span class="visually-hidden">[ajouté : </span>spécialisés' in page
    # Nothing is written by the preview.
    assert len(versions()) == 1 and audit_actions() == before_audit and len(text_notifications()) == before_notes

    token = token_of(page)
    published = client.post(PUBLISH, data={"upload": token, "status": "adopted_by_bn", "label": "Texte du BN"})
    assert published.status_code == 302 and published.headers["Location"].endswith(VERSIONS)
    one, two = versions()
    assert (two.number, two.status, two.label, two.source) == (
        2,
        VersionStatus.ADOPTED_BY_BN,
        "Texte du BN",
        "texte.md",
    )
    assert len(two.checksum) == 64
    assert "text_version.created" in audit_actions() and "text_version.published_from_file" in audit_actions()
    assert len(text_notifications()) == before_notes + len(world.users)
    # The same preview cannot publish twice: the current version changed meanwhile.
    again = client.post(PUBLISH, data={"upload": token, "status": "amended"})
    assert again.status_code == 409 and "a été publiée depuis l" in text(again)
    assert len(versions()) == 2


def test_an_identical_file_has_nothing_to_publish_and_a_forged_token_is_refused(world, client):
    log_in(client, world.users["national_bureau"])
    # The same words, but the proposal becomes a plain paragraph: a change worth a version.
    page = text(upload(client, document()))
    assert "Ce fichier est identique" not in page and "Publier la nouvelle version" in page
    assert client.post(PUBLISH, data={"upload": token_of(page), "status": "amended"}).status_code == 302
    page = text(upload(client, document()))
    assert "Ce fichier est identique à la version 2" in page
    assert 'name="upload"' not in page
    forged = client.post(PUBLISH, data={"upload": "abc.def", "status": "amended"})
    assert forged.status_code == 302 and forged.headers["Location"].endswith(UPLOAD)
    assert "envoyez-le de nouveau" in text(client.get(UPLOAD))
    assert len(versions()) == 2


def test_cancelling_writes_nothing(world, client):
    log_in(client, world.users["national_bureau"])
    page = text(upload(client, document(q2="Autre chose.")))
    assert f'href="{VERSIONS}">Annuler : ne rien publier' in page
    assert text(client.get(VERSIONS)).count("Version 1") >= 1 and len(versions()) == 1


# --- the difference ------------------------------------------------------------------------------


def test_the_difference_of_a_chapter_word_by_word_with_its_amendments(consolidated, client):
    grenoble = consolidated.amendments["grenoble"]
    response = client.get(f"{DIFF}?de=1&a=2&chapitre=I-1")
    assert response.status_code == 200
    page = text(response)
    assert "Différences entre les versions 1 et 2" in page
    assert '<del><span class="visually-hidden">[supprimé : </span>l&#39;école' in page
    assert '<ins><span class="visually-hidden">[ajouté : </span>la petite enfance' in page
    assert "Alinéa supprimé" in page and "[alinéa supprimé : </span>Les polices municipales" in page
    assert "Alinéa inchangé" in page  # the whole chapter, unchanged paragraphs included
    assert f'href="/amendements/{grenoble.id}"' in page and "Section Grenoble" in page
    assert f'href="/amendements/{consolidated.amendments["deletion"].id}"' in page
    assert 'id="diff-chapitre"' in page and '<label class="form-label" for="diff-chapitre">' in page
    other = text(client.get(f"{DIFF}?de=1&a=2&chapitre=I-2"))
    assert "Alinéa ajouté" in other and "[alinéa ajouté : </span>Un juge des enfants" in other


def test_the_whole_text_shows_the_changed_paragraphs_and_defaults_to_the_last_step(consolidated, client):
    page = text(client.get(DIFF))  # no parameters: from the previous version to the current one
    assert "Différences entre les versions 1 et 2" in page
    assert "La prévention" in page and "La justice" in page
    assert "Alinéa inchangé" not in page and "inchangé n&#39;est pas montré" in page or "inchangés ne sont pas" in page
    assert f'href="{DIFF}?de=1&amp;a=2&amp;chapitre=I-1"' in page
    backwards = text(client.get(f"{DIFF}?de=2&a=1&chapitre=I-2"))
    assert "Alinéa supprimé" in backwards  # read the other way, the insertion is a deletion
    same = client.get(f"{DIFF}?de=2&a=2")
    assert same.status_code == 200 and "Choisissez deux versions différentes" in text(same)


@pytest.mark.parametrize(
    "query", ["de=1&a=7", "de=0&a=2", "de=x&a=2", "de=1&a=2&chapitre=IX-9", "de=-1&a=2", "de=99999999999&a=1"]
)
def test_bad_parameters_of_the_difference_are_404(consolidated, client, query):
    assert client.get(f"{DIFF}?{query}").status_code == 404


def test_the_difference_is_paginated_by_chapters(consolidated, client, monkeypatch):
    from convention.versions import views

    monkeypatch.setattr(views, "CHAPTERS_PER_PAGE", 1)
    first = text(client.get(f"{DIFF}?de=1&a=2"))
    assert "La prévention" in first and 'id="titre-I-2"' not in first
    assert 'aria-label="Pages des chapitres changés"' in first
    second = text(client.get(f"{DIFF}?de=1&a=2&page=2"))
    assert 'id="titre-I-2"' in second and 'id="titre-I-1"' not in second
    assert client.get(f"{DIFF}?de=1&a=2&page=99").status_code == 200


def test_a_bad_status_or_a_file_too_big_to_carry_writes_nothing(world, client, monkeypatch):
    from convention.versions import views

    log_in(client, world.users["national_bureau"])
    page = text(upload(client, document(q2="Autre chose.")))
    response = client.post(PUBLISH, data={"upload": token_of(page), "status": "publie"})
    assert response.status_code == 302 and response.headers["Location"].endswith(UPLOAD)
    assert "Statut ou libellé non valide : rien n" in text(client.get(UPLOAD))
    monkeypatch.setattr(views, "form_memory_limit", lambda: 100)
    too_big = upload(client, document(q2="Autre chose."))
    assert too_big.status_code == 413 and "trop volumineux" in text(too_big)
    assert len(versions()) == 1
