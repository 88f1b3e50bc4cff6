"""Amendment pages: the chapter page cut into lines, the lists and their filters, the amendment's
page, and writing one from the chapter page (preview, confirmation, the errors a member meets)."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from convention.amendments import operations as ops
from convention.amendments.models import Amendment, AmendmentCosignature
from convention.amendments.views import _preview_key
from convention.domain.amendments import AmendmentStatus as S
from convention.domain.phases import PhaseKind
from convention.extensions import db, limiter
from convention.texts.operations import write_text_version
from tests.amendment_fixtures import (
    P1,
    P3,
    PARTS,
    TODAY,
    amendment_count,
    build_world,
    edit,
    log_in,
    log_out,
    make_cosigners,
    preview_key,
    set_phase,
    submit,
)
from tests.auth_fixtures import page_text

NEW = "/amendements/nouveau?bloc={anchor}&type={kind}"
CRECHE = edit(P1, "dès l'école", "dès la crèche")


@pytest.fixture()
def world(database):
    return build_world(PhaseKind.AMENDMENTS)


def numbers_listed(html: str) -> list[int]:
    """The amendment numbers of a list page, in order."""
    return [int(n) for n in re.findall(r'href="/amendements/\d+">Amendement n° (\d+)</a>', html)]


def preview(client, anchor="I-1-1", kind="modifier", **form):
    form.setdefault("rationale", "Parce que.")
    return client.post(NEW.format(anchor=anchor, kind=kind), data={**form, "preview": "y"})


def confirm(client, key, anchor="I-1-1", kind="modifier", **form):
    form.setdefault("rationale", "Parce que.")
    return client.post(NEW.format(anchor=anchor, kind=kind), data={**form, "confirm": "y", "preview_key": key})


# --- the chapter page ---------------------------------------------------------------------------


def test_chapter_page_numbers_every_line_and_links_each_paragraph(client, world):
    submit(world, "author", edited=CRECHE)
    submit(world, "member_paid", edited=edit(P1, "leurs difficultés", "leurs espoirs"))
    withdrawn = submit(world, "committee", edited=edit(P1, "de quartier", "sportives"))
    ops.withdraw_amendment(world.users["committee"], withdrawn)
    db.session.commit()

    html = page_text(client.get("/texte/chapitre/I-1"))
    for number in range(1, 9):  # chapter I-1 holds lines 1 to 8
        assert f'<span class="line" id="L{number}"><a class="ln" href="#L{number}"' in html
    assert 'id="L9"' not in html
    assert 'id="L9"' in page_text(client.get("/texte/chapitre/I-2"))
    # One count per paragraph (the withdrawn amendment left out), opening the paragraph's list.
    assert re.search(r'<a class="amend-count" href="/amendements/\?alinea=I-1-1&version=1">2 amendements', html)
    assert "/amendements/?alinea=I-1-3" not in html
    assert "2 amendements sur ce chapitre" in html
    # « Amender », « Insérer un alinéa après », « Supprimer » under each paragraph while open.
    for block in ("I-1-1", "I-1-2", "I-1-3"):
        for kind in ("modifier", "inserer", "supprimer"):
            assert f'href="/amendements/nouveau?bloc={block}&amp;type={kind}"' in client.get(
                "/texte/chapitre/I-1"
            ).get_data(as_text=True)


@pytest.mark.parametrize("phase", [p for p in PhaseKind if p != PhaseKind.AMENDMENTS])
def test_no_amend_button_when_amendments_are_closed(client, world, phase):
    submit(world, "author", edited=CRECHE)
    set_phase(world, phase)
    html = client.get("/texte/chapitre/I-1").get_data(as_text=True)
    assert "/amendements/nouveau" not in html
    assert "Amender" not in html
    assert "1 amendement" in html  # the count stays


def test_no_amend_button_on_an_older_version(client, world):
    submit(world, "author", edited=CRECHE)
    write_text_version(world.text, PARTS, label="Projet révisé", line_length=80, notify=False)
    db.session.commit()
    log_in(client, world.users["member_paid"])
    old = client.get("/texte/chapitre/I-1?version=1").get_data(as_text=True)
    assert 'id="L1"' in old
    assert "/amendements/nouveau" not in old and "amend-count" not in old
    current = client.get("/texte/chapitre/I-1").get_data(as_text=True)
    assert "/amendements/nouveau?bloc=I-1-1&amp;type=modifier" in current


# --- the lists ----------------------------------------------------------------------------------


@pytest.fixture()
def filled(world):
    """n° 1 author (I-1-1), n° 2 Grenoble section (I-1-1, same cluster), n° 3 member (I-1-3),
    n° 4 member (I-2-1, withdrawn), n° 5 Grenoble section (I-2-2, admissible)."""
    one = submit(world, "author", edited=CRECHE)
    two = submit(world, "section_secretary", edited=CRECHE, unit=world.section)
    three = submit(world, "member_paid", "I-1-3", edit(P3, "du maire", "du préfet"))
    four = submit(world, "pilot_other_group", "I-2-1", edit(world.block("I-2-1").text, "éducative", "protectrice"))
    ops.withdraw_amendment(world.users["pilot_other_group"], four)
    five = submit(world, "section_secretary", "I-2-2", edit(world.block("I-2-2").text, "greffiers", "juristes"),
                  unit=world.section, status=S.ADMISSIBLE)
    db.session.commit()
    return {"world": world, "amendments": [one, two, three, four, five]}


def test_list_filters(client, filled):
    world = filled["world"]
    cluster_id = filled["amendments"][0].cluster_id
    assert cluster_id is not None
    # n° 4 is withdrawn: whether the unfiltered lists show it is left open (see
    # test_the_paragraph_count_matches_the_list_it_opens); « statut=withdrawn » must.
    cases = {
        "": [1, 2, 3, 5],
        "?statut=withdrawn": [4],
        "?statut=admissible": [5],
        "?chapitre=I-2": [5],
        "?alinea=I-1-1": [1, 2],
        f"?federation={world.federation.id}": [2, 5],
        f"?federation={world.other_federation.id}": [],
        "?auteur=aurore": [1],
        "?unites=1": [2, 5],
        f"?discussion={cluster_id}": [1, 2],
        "?chapitre=I-1&unites=1": [2],
        "?statut=nimporte&chapitre=<script>": [1, 2, 3, 5],  # bad values are ignored
    }
    for query, expected in cases.items():
        response = client.get(f"/amendements/{query}")
        assert response.status_code == 200, query
        listed = numbers_listed(page_text(response))
        assert (listed if "withdrawn" in query else [n for n in listed if n != 4]) == expected, query
    assert "Aucun amendement ne correspond" in page_text(client.get("/amendements/?auteur=personne"))


@pytest.mark.parametrize("page", ["99999", "99999999999999999999", "-3", "abc", "0"])
def test_a_huge_or_odd_page_number_is_not_an_error(client, filled, page):
    response = client.get(f"/amendements/?page={page}")
    assert response.status_code == 200
    response = client.get(f"/amendements/?chapitre=I-1&page={page}")
    assert response.status_code == 200


# --- the amendment's page -----------------------------------------------------------------------


def test_detail_shows_citation_and_diff_and_cosigner_names_only_to_reviewers(client, world):
    one = submit(world, "author", edited=CRECHE, rationale="Les **tout-petits** d'abord.")
    cosigner = make_cosigners(world, 1)[0]
    db.session.add(AmendmentCosignature(amendment_id=one.id, member_id=cosigner.member_id, user_id=cosigner.id))
    one.cosignature_count = 1
    db.session.commit()
    name = cosigner.member.full_name

    def detail(role):
        log_out(client)
        if role:
            log_in(client, world.users[role])
        response = client.get(f"/amendements/{one.id}")
        assert response.status_code == 200
        return page_text(response)

    html = detail(None)
    assert "À la ligne 1, remplacer les mots « l'école » par les mots « la crèche »." in html
    assert re.search(r"<del>.*l'école.*</del>", html)
    assert re.search(r"<ins>.*la crèche.*</ins>", html)
    assert "<strong>tout-petits</strong>" in html
    assert "1 cosignature" in html and "5 requises pour être recevable" in html
    assert 'href="/texte/chapitre/I-1#L1"' in html
    for role in (None, "member_paid", "author", "pilot_other_group", "section_secretary"):
        page = detail(role)
        assert name not in page, role
        assert "Cosignataires" not in page, role
    for role in ("pilot_this_group", "committee", "national_bureau"):
        page = detail(role)
        assert "Cosignataires" in page and name in page, role
    assert client.get("/amendements/999999").status_code == 404


def test_detail_actions_follow_the_rules(client, world):
    one = submit(world, "author", edited=CRECHE)
    log_in(client, world.users["member_paid"])
    html = page_text(client.get(f"/amendements/{one.id}"))
    assert "Cosigner cet amendement" in html and "Retirer l’amendement" not in html
    log_in(client, world.users["author"])
    html = page_text(client.get(f"/amendements/{one.id}"))
    assert "Cosigner cet amendement" not in html and "Retirer l’amendement" in html
    # Someone else's amendment cannot be withdrawn, even by a reviewer.
    log_in(client, world.users["committee"])
    assert client.post(f"/amendements/{one.id}/retirer", data={"confirm": "y"}).status_code == 403
    db.session.expire_all()
    assert one.status == S.SUBMITTED
    set_phase(world, PhaseKind.MEMBERS_VOTE)
    log_in(client, world.users["member_paid"])
    assert "Cosigner cet amendement" not in page_text(client.get(f"/amendements/{one.id}"))


# --- writing one ----------------------------------------------------------------------------------


def test_the_editor_shows_the_paragraph_then_a_preview_with_the_citation(client, world):
    log_in(client, world.users["member_paid"])
    page = client.get(NEW.format(anchor="I-1-1", kind="modifier"))
    assert page.status_code == 200
    html = page_text(page)
    assert "Lignes 1 à 3" in html and P1 in html
    response = preview(client, edited=CRECHE)
    html = page_text(response)
    assert response.status_code == 200
    assert "À la ligne 1, remplacer les mots « l'école » par les mots « la crèche »." in html
    assert re.search(r"<del>.*l'école.*</del>", html) and re.search(r"<ins>.*la crèche.*</ins>", html)
    assert "Déposer l’amendement" in html
    assert amendment_count() == 0
    response = confirm(client, preview_key(html), edited=CRECHE)
    assert response.status_code == 302
    amendment = db.session.scalars(sa.select(Amendment)).one()
    assert response.headers["Location"] == f"/amendements/{amendment.id}"
    assert "Votre amendement n° 1 a été déposé" in page_text(client.get(response.headers["Location"]))


@pytest.mark.parametrize(
    ("kind", "edited", "citation"),
    [
        ("supprimer", None, "Supprimer l'alinéa des lignes 6 à 8"),
        ("inserer", "Un alinéa nouveau sur les médiateurs de nuit.", "Après la ligne 8, insérer l'alinéa suivant"),
    ],
)
def test_delete_and_insert_from_the_chapter_page(client, world, kind, edited, citation):
    log_in(client, world.users["member_paid"])
    form = {"edited": edited} if edited else {}
    html = page_text(preview(client, "I-1-3", kind, **form))
    assert citation in html
    response = confirm(client, preview_key(html), "I-1-3", kind, **form)
    assert response.status_code == 302
    amendment = db.session.scalars(sa.select(Amendment)).one()
    assert amendment.citation.startswith(citation)


@pytest.mark.parametrize(
    "edited",
    [
        edit(P1, "éducateurs de rue", "éducateurs spécialisés"),  # the change ends before a word
        CRECHE,  # the change ends before a comma
        edit(P1, "leurs difficultés", "leurs espoirs"),  # … before the final full stop
    ],
    ids=["before-a-word", "before-a-comma", "before-a-full-stop"],
)
def test_a_double_submit_of_the_confirmation_files_one_amendment(client, world, edited):
    log_in(client, world.users["member_paid"])
    key = preview_key(page_text(preview(client, edited=edited)))
    first = confirm(client, key, edited=edited)
    second = confirm(client, key, edited=edited)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert amendment_count() == 1
    assert "Vous avez déjà déposé cet amendement : c’est le n° 1." in page_text(
        client.get(second.headers["Location"])
    )


def test_an_edit_that_changes_nothing_is_refused_in_french(client, world):
    log_in(client, world.users["member_paid"])
    for send in (preview, lambda c, **f: confirm(c, _preview_key("I-1-1", "modifier", P1), **f)):
        response = send(client, edited="  " + P1.replace(" ", "   ") + " ")
        assert response.status_code == 200
        assert "Vous n'avez rien modifié dans ce paragraphe." in page_text(response)
    assert amendment_count() == 0


def test_an_edit_over_two_paragraphs_and_an_empty_rationale_get_a_message(client, world):
    log_in(client, world.users["member_paid"])
    response = preview(client, edited=CRECHE + "\n\n" + world.block("I-1-2").text)
    assert "Un amendement porte sur un seul paragraphe" in page_text(response)
    response = preview(client, edited=CRECHE, rationale="")
    assert "Expliquez pourquoi vous proposez cet amendement." in page_text(response)
    response = preview(client, edited="   ")
    assert "Écrivez le texte de l’amendement." in page_text(response)
    assert client.get(NEW.format(anchor="I-9-9", kind="modifier")).status_code == 404
    assert client.get(NEW.format(anchor="I-1-1", kind="reecrire")).status_code == 404
    assert amendment_count() == 0


def test_a_forged_or_stale_preview_key_does_not_deposit(client, world):
    log_in(client, world.users["member_paid"])
    for key in ("0" * 32, "", _preview_key("I-1-1", "modifier", edit(P1, "dès l'école", "dès le collège"))):
        response = confirm(client, key, edited=CRECHE)
        assert response.status_code == 200  # the preview is shown again, nothing is filed
        html = page_text(response)
        assert "À la ligne 1, remplacer les mots « l'école » par les mots « la crèche »." in html
        assert preview_key(html) == _preview_key("I-1-1", "modifier", CRECHE)
    assert amendment_count() == 0


def test_a_secretary_files_for_the_section_with_the_meeting_date(client, world):
    log_in(client, world.users["section_secretary"])
    html = page_text(client.get(NEW.format(anchor="I-1-1", kind="modifier")))
    assert "Au nom de" in html and "Section Grenoble" in html
    unit = f"section:{world.section.id}"
    response = preview(client, edited=CRECHE, on_behalf=unit)
    assert "Indiquez la date de la réunion" in page_text(response)
    html = page_text(preview(client, edited=CRECHE, on_behalf=unit, adopted_on=TODAY.isoformat()))
    response = confirm(client, preview_key(html), edited=CRECHE, on_behalf=unit, adopted_on=TODAY.isoformat())
    assert response.status_code == 302
    amendment = db.session.scalars(sa.select(Amendment)).one()
    assert amendment.section_id == world.section.id and amendment.adopted_on == TODAY
    assert "Section Grenoble" in page_text(client.get(response.headers["Location"]))


# --- CSRF -----------------------------------------------------------------------------------------


@pytest.fixture()
def csrf_on(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    limiter.reset()
    yield
    limiter.reset()


def _token(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert match, "no CSRF token in the page"
    return match.group(1)


def test_a_bad_csrf_token_changes_nothing(client, world, csrf_on):
    one = submit(world, "author", edited=CRECHE)
    amendment_id = one.id
    log_in(client, world.users["member_paid"])
    token = _token(page_text(client.get(NEW.format(anchor="I-1-1", kind="modifier"))))
    key = _preview_key("I-1-3", "modifier", edit(P3, "du maire", "du préfet"))
    refused = {
        f"/amendements/{amendment_id}/cosigner": {},
        NEW.format(anchor="I-1-3", kind="modifier"): {
            "edited": edit(P3, "du maire", "du préfet"), "rationale": "x", "confirm": "y", "preview_key": key,
        },
    }
    for url, form in refused.items():
        for bad in ({}, {"csrf_token": "forged"}, {"csrf_token": token + "x"}):
            response = client.post(url, data={**form, **bad})
            assert response.status_code == 400, url
            assert "jeton de sécurité" in page_text(response)
    log_in(client, world.users["committee"])
    response = client.post(
        f"/amendements/{amendment_id}/examen?etape=recevabilite",
        data={"recevabilite-admissible": "irrecevable", "recevabilite-reason": "Hors sujet.", "csrf_token": "x"},
    )
    assert response.status_code == 400
    db.session.expire_all()
    assert amendment_count() == 1
    assert db.session.get(Amendment, amendment_id).status == S.SUBMITTED
    assert db.session.scalar(sa.select(sa.func.count(AmendmentCosignature.id))) == 0

    # With the page's token, the same submission goes through.
    log_in(client, world.users["member_paid"])
    form = refused[NEW.format(anchor="I-1-3", kind="modifier")]
    fields = {"edited": form["edited"], "rationale": form["rationale"]}
    html = page_text(client.post(NEW.format(anchor="I-1-3", kind="modifier"),
                                 data={**fields, "preview": "y", "csrf_token": token}))  # fmt: skip
    response = client.post(
        NEW.format(anchor="I-1-3", kind="modifier"),
        data={**fields, "confirm": "y", "preview_key": preview_key(html), "csrf_token": _token(html)},
    )
    assert response.status_code == 302
    assert amendment_count() == 2


# --- the author's and the committee's pages -----------------------------------------------------------


def test_withdrawing_a_decided_amendment_is_a_409_in_french(client, world):
    one = submit(world, "author", edited=CRECHE, status=S.ADOPTED)
    log_in(client, world.users["author"])
    assert client.get(f"/amendements/{one.id}/retirer").status_code == 409
    response = client.post(f"/amendements/{one.id}/retirer", data={"confirm": "y"})
    assert response.status_code == 409
    html = page_text(response)
    assert "L'amendement n° 1 est adopté : on ne peut pas le retirer." in html
    assert "Possible maintenant : revenir sur son adoption." in html
    db.session.expire_all()
    assert one.status == S.ADOPTED
    # Without the confirmation box, nothing happens either.
    other = submit(world, "author", "I-1-3", edit(P3, "du maire", "du préfet"))
    response = client.post(f"/amendements/{other.id}/retirer", data={"reason": "Oups."})
    assert response.status_code == 200 and "Cochez la case pour confirmer." in page_text(response)
    db.session.expire_all()
    assert other.status == S.SUBMITTED


def test_review_pages_show_each_reviewer_their_chapters(client, world):
    submit(world, "section_secretary", edited=CRECHE, unit=world.section)
    submit(world, "section_secretary", "I-2-1", edit(world.block("I-2-1").text, "éducative", "protectrice"),
           unit=world.section)  # fmt: skip
    log_in(client, world.users["pilot_this_group"])
    home = page_text(client.get("/amendements/examen/"))
    assert "/amendements/examen/chapitre/I-1" in home and "/amendements/examen/chapitre/I-2" not in home
    table = client.get("/amendements/examen/chapitre/I-1")
    assert table.status_code == 200 and "Action groupée" in page_text(table)
    assert client.get("/amendements/examen/chapitre/I-2").status_code == 403
    assert client.get("/amendements/examen/repartition").status_code == 403
    log_in(client, world.users["committee"])
    home = page_text(client.get("/amendements/examen/"))
    assert "/amendements/examen/chapitre/I-1" in home and "/amendements/examen/chapitre/I-2" in home
    assert client.get("/amendements/examen/repartition").status_code == 200
    for role in ("pilot_other_group", "member_paid", "section_secretary"):
        log_in(client, world.users[role])
        assert client.get("/amendements/examen/").status_code == 403, role
        assert client.get("/amendements/examen/chapitre/I-1").status_code == 403, role


def test_the_paragraph_count_matches_the_list_it_opens(client, world):
    submit(world, "author", edited=CRECHE)
    withdrawn = submit(world, "member_paid", edited=edit(P1, "de quartier", "sportives"))
    ops.withdraw_amendment(world.users["member_paid"], withdrawn)
    db.session.commit()
    chapter = page_text(client.get("/texte/chapitre/I-1"))
    count = int(re.search(r'href="/amendements/\?alinea=I-1-1&version=1">(\d+) amendement', chapter).group(1))
    listed = numbers_listed(page_text(client.get("/amendements/?alinea=I-1-1&version=1")))
    assert count == len(listed), (count, listed)
