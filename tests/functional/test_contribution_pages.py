"""Contribution pages: submit, Markdown, attachments, edit, withdraw, review queue, decisions."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
import sqlalchemy as sa

from convention.contributions.models import Contribution
from convention.domain.lifecycle import ContributionStatus as S
from convention.extensions import db
from convention.notifications.models import Notification
from tests.contribution_fixtures import (
    EXE_BYTES,
    PDF_BYTES,
    build_world,
    docx_bytes,
    log_in,
    make_contribution,
)

MALICIOUS = """# Titre

Du **gras** et un [lien](javascript:alert(1)).

<script>alert("xss")</script>
<img src=x onerror="alert(2)">
<a href="https://exemple.fr" onclick="alert(3)">cliquez</a>
[image](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)
"""


@pytest.fixture(autouse=True)
def uploads(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(tmp_path))
    return tmp_path


@pytest.fixture()
def world(database):
    return build_world("during")


def submit(client, world, **fields):
    data = {"title": "Ma contribution", "body": "Le texte.", "working_group": world.group1.id}
    data.update(fields)
    return client.post("/contributions/deposer", data=data, content_type="multipart/form-data")


def only_contribution() -> Contribution:
    return db.session.scalars(sa.select(Contribution)).one()


def text(response) -> str:
    return response.get_data(as_text=True)


# --- submission -----------------------------------------------------------------------------


def test_the_list_offers_to_submit_while_open_and_the_form_preselects_the_group(client, world):
    log_in(client, world.users["militant"])
    assert 'href="/contributions/deposer"' in text(client.get("/contributions/"))
    form = text(client.get("/contributions/deposer?groupe=2"))
    assert f'<option selected value="{world.group2.id}">' in form
    assert "La convention dans son ensemble" in form
    assert 'name="on_behalf"' not in form  # a militant speaks only for themself
    assert 'name="adopted_on"' not in form
    assert 'enctype="multipart/form-data"' in form


def test_the_group_page_offers_to_submit_to_the_group(client, world):
    html = text(client.get("/groupes/2"))
    assert 'href="/contributions/deposer?groupe=2"' in html


def test_no_submit_link_when_closed(client, database):
    world = build_world("after")
    log_in(client, world.users["militant"])
    assert 'href="/contributions/deposer"' not in text(client.get("/contributions/"))
    assert "/contributions/deposer" not in text(client.get("/groupes/1"))


def test_anonymous_visitors_are_sent_to_the_login_page(client, world):
    response = client.get("/contributions/deposer")
    assert response.status_code == 302 and "/compte/connexion" in response.headers["Location"]


def test_a_malicious_markdown_body_is_neutralised(client, world):
    log_in(client, world.users["militant"])
    assert submit(client, world, body=MALICIOUS).status_code == 302
    contribution = only_contribution()
    assert contribution.body == MALICIOUS.strip()  # stored as typed, rendered safely
    html = text(client.get(f"/contributions/{contribution.id}"))
    body = html.split('class="prose contribution-body">', 1)[1].split("</section>", 1)[0]
    assert "<strong>gras</strong>" in body and "<h1>" in body
    assert "<script" not in body and "<img" not in body
    assert not re.search(r"<[a-z][^>]*\son\w+\s*=", body)  # no event handler attribute
    assert not re.search(r"href=\"\s*(javascript|data):", body)
    assert "&lt;script&gt;" in body  # shown as text, never run
    for link in re.findall(r"<a [^>]*>", body):
        assert 'rel="nofollow noopener noreferrer"' in link


def test_a_section_secretary_submits_for_the_section(client, world):
    log_in(client, world.users["section_secretary"])
    form = text(client.get("/contributions/deposer"))
    assert f'<option value="section:{world.section.id}">' in form
    missing = submit(client, world, on_behalf=f"section:{world.section.id}")
    assert missing.status_code == 200 and "Indiquez la date de la réunion" in text(missing)
    adopted = dt.date.today() - dt.timedelta(days=2)
    response = submit(
        client, world, on_behalf=f"section:{world.section.id}", adopted_on=adopted.isoformat()
    )
    assert response.status_code == 302
    contribution = only_contribution()
    assert contribution.section_id == world.section.id and contribution.adopted_on == adopted
    page = text(client.get(f"/contributions/{contribution.id}"))
    assert "Section Grenoble" in page and "Adoptée le" in page

    # The secretary edits it: the meeting date stays required and can be corrected.
    edit_url = f"/contributions/{contribution.id}/modifier"
    assert f'value="{adopted.isoformat()}"' in text(client.get(edit_url))
    fields = {"title": "Revu", "body": "Texte", "working_group": world.group1.id}
    blank = client.post(edit_url, data={**fields, "adopted_on": ""})
    assert blank.status_code == 200 and "Indiquez la date de la réunion" in text(blank)
    corrected = adopted - dt.timedelta(days=1)
    done = client.post(edit_url, data={**fields, "adopted_on": corrected.isoformat()})
    assert done.status_code == 302
    db.session.expire_all()
    assert contribution.adopted_on == corrected and contribution.title == "Revu"


def test_a_secretary_cannot_speak_for_another_unit(client, world):
    log_in(client, world.users["section_secretary"])
    response = submit(client, world, on_behalf=f"federation:{world.federation.id}",
                      adopted_on=dt.date.today().isoformat())  # fmt: skip
    assert response.status_code == 200  # « Not a valid choice »
    assert db.session.scalar(sa.select(sa.func.count(Contribution.id))) == 0


# --- attachments ----------------------------------------------------------------------------


def test_a_pdf_attachment_is_served_with_safe_headers(client, world, uploads):
    log_in(client, world.users["militant"])
    response = submit(
        client, world, attachment=(io.BytesIO(PDF_BYTES), "Synthèse « Grenoble ».pdf")
    )
    assert response.status_code == 302
    contribution = only_contribution()
    stored = list((uploads / "contributions").iterdir())
    assert [p.name for p in stored] == [contribution.attachment_storage]
    page = text(client.get(f"/contributions/{contribution.id}"))
    assert f'href="/contributions/{contribution.id}/piece-jointe"' in page
    client.post("/compte/deconnexion")
    download = client.get(f"/contributions/{contribution.id}/piece-jointe")
    assert download.status_code == 200  # contributions (and attachments) are public
    assert download.data == PDF_BYTES
    download.close()
    assert download.mimetype == "application/pdf"
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    disposition = download.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="Synthese_Grenoble_.pdf"')
    assert "filename*=UTF-8''Synth%C3%A8se%20%C2%AB%20Grenoble%20%C2%BB.pdf" in disposition


def test_a_docx_is_accepted(client, world):
    log_in(client, world.users["militant"])
    response = submit(client, world, attachment=(io.BytesIO(docx_bytes()), "note.docx"))
    assert response.status_code == 302
    assert only_contribution().attachment_kind == "docx"


def test_a_renamed_executable_posted_as_a_pdf_is_rejected(client, world, uploads):
    log_in(client, world.users["militant"])
    response = submit(client, world, attachment=(io.BytesIO(EXE_BYTES), "rapport.pdf"))
    assert response.status_code == 200
    assert "son contenu ne correspond à aucun de ces formats" in text(response)
    assert db.session.scalar(sa.select(sa.func.count(Contribution.id))) == 0
    assert not (uploads / "contributions").exists() or not list(
        (uploads / "contributions").iterdir()
    )


def test_an_attachment_over_the_limit_is_rejected(client, world, app, monkeypatch):
    monkeypatch.setitem(app.config, "CONTRIBUTION_MAX_ATTACHMENT_BYTES", 64)
    log_in(client, world.users["militant"])
    response = submit(client, world, attachment=(io.BytesIO(PDF_BYTES), "gros.pdf"))
    assert response.status_code == 200 and "dépasse la taille autorisée" in text(response)
    assert db.session.scalar(sa.select(sa.func.count(Contribution.id))) == 0


def test_a_withdrawn_contribution_hides_its_text_and_attachment_from_the_public(client, world):
    log_in(client, world.users["militant"])
    submit(client, world, body="Texte secret", attachment=(io.BytesIO(PDF_BYTES), "a.pdf"))
    contribution = only_contribution()
    contribution.status = S.WITHDRAWN
    db.session.commit()
    url = f"/contributions/{contribution.id}"
    own = client.get(f"{url}/piece-jointe")
    own.close()
    assert own.status_code == 200  # the author still can
    assert "Texte secret" in text(client.get(url))
    client.post("/compte/deconnexion")
    page = text(client.get(url))
    assert "Texte secret" not in page and "Retirée" in page
    assert client.get(f"{url}/piece-jointe").status_code == 403


# --- edit and withdraw ----------------------------------------------------------------------


def test_the_author_edits_until_the_review_starts(client, world):
    contribution = make_contribution(world)
    url = f"/contributions/{contribution.id}"
    log_in(client, world.users["militant"])
    assert f'href="{url}/modifier"' in text(client.get(url))
    form = text(client.get(f"{url}/modifier"))
    assert 'value="Pour une police de proximité"' in form
    response = client.post(f"{url}/modifier", data={
        "title": "Titre revu", "body": "Texte revu", "working_group": 0})  # fmt: skip
    assert response.status_code == 302
    db.session.expire_all()
    assert contribution.title == "Titre revu" and contribution.working_group_id is None
    contribution.status = S.UNDER_REVIEW
    db.session.commit()
    assert f'href="{url}/modifier"' not in text(client.get(url))
    assert client.get(f"{url}/modifier").status_code == 403
    assert client.post(f"{url}/modifier", data={"title": "x", "body": "y"}).status_code == 403


def test_someone_else_cannot_edit_or_withdraw(client, world):
    contribution = make_contribution(world)
    log_in(client, world.users["pilot_this_group"])
    assert client.get(f"/contributions/{contribution.id}/modifier").status_code == 403
    assert client.post(f"/contributions/{contribution.id}/retirer",
                       data={"confirm": "y"}).status_code == 403  # fmt: skip


def test_withdrawal_asks_for_confirmation(client, world):
    contribution = make_contribution(world)
    url = f"/contributions/{contribution.id}/retirer"
    log_in(client, world.users["militant"])
    page = text(client.get(url))
    assert "Je confirme le retrait" in page and 'name="confirm"' in page
    unconfirmed = client.post(url, data={})
    assert unconfirmed.status_code == 200 and "Cochez la case" in text(unconfirmed)
    db.session.expire_all()
    assert contribution.status == S.SUBMITTED
    assert client.post(url, data={"confirm": "y"}).status_code == 302
    db.session.expire_all()
    assert contribution.status == S.WITHDRAWN
    again = client.post(url, data={"confirm": "y"})
    assert again.status_code == 409


# --- moderation -----------------------------------------------------------------------------


def test_the_review_queue_is_in_the_navigation_of_moderators_only(client, world):
    log_in(client, world.users["militant"])
    assert 'href="/contributions/a-examiner"' not in text(client.get("/contributions/"))


def test_pilot_review_queue_decision_and_notification(client, world):
    contribution = make_contribution(world, group=world.group1)
    other = make_contribution(world, group=world.group2, title="Pour le groupe 2")
    log_in(client, world.users["pilot_this_group"])
    listing = text(client.get("/contributions/"))
    assert 'href="/contributions/a-examiner"' in listing
    queue = text(client.get("/contributions/a-examiner"))
    assert contribution.title in queue and other.title not in queue
    assert "Commencer l’examen" in queue

    # Deciding before the review has started is not a legal transition.
    early = client.post(f"/contributions/{contribution.id}/decision",
                        data={"status": "integrated", "answer": "Oui"})  # fmt: skip
    assert early.status_code == 409
    assert client.get(f"/contributions/{contribution.id}/decision").status_code == 409

    review = client.post(f"/contributions/{contribution.id}/examen")
    assert review.headers["Location"] == f"/contributions/{contribution.id}/decision"
    form = text(client.get(f"/contributions/{contribution.id}/decision"))
    assert "Partiellement intégrée" in form and "Réponse à l’auteur" in form
    no_answer = client.post(f"/contributions/{contribution.id}/decision",
                            data={"status": "not_retained", "answer": ""})  # fmt: skip
    assert no_answer.status_code == 200 and "Rédigez la réponse" in text(no_answer)
    decided = client.post(f"/contributions/{contribution.id}/decision",
                          data={"status": "not_retained",
                                "answer": "Déjà **couvert** par I-1."})  # fmt: skip
    assert decided.status_code == 302
    db.session.expire_all()
    assert contribution.status == S.NOT_RETAINED
    page = text(client.get(f"/contributions/{contribution.id}"))
    assert "Réponse des pilotes" in page and "Déjà <strong>couvert</strong> par I-1." in page
    assert "Non retenue" in page
    subjects = db.session.scalars(
        sa.select(Notification.subject)
        .filter_by(user_id=world.users["militant"].id)
        .order_by(Notification.id)
    ).all()
    assert len(subjects) == 2 and "non retenue" in subjects[1]


def test_an_integrated_decision_leads_to_the_text_links(client, world):
    contribution = make_contribution(world, status=S.UNDER_REVIEW)
    log_in(client, world.users["committee"])
    response = client.post(f"/contributions/{contribution.id}/decision",
                          data={"status": "integrated", "answer": "Reprise."})  # fmt: skip
    assert response.headers["Location"] == f"/provenance/contributions/{contribution.id}"


def test_statuses_are_shown_as_badges(client, world):
    make_contribution(world, status=S.PARTIALLY_INTEGRATED, title="Partielle")
    html = text(client.get("/contributions/"))
    assert re.search(r'<span class="badge badge-success">Partiellement intégrée</span>', html)
