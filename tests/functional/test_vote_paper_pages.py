"""The pages of the section paper vote: the secretary's journey through the forms, the federation's
validation, the links, and the permission matrix (secretaries only for their own unit)."""

from __future__ import annotations

import json
import re

import pytest
import sqlalchemy as sa

from convention.domain.polls import ReportState, VoteChannel
from convention.extensions import db, limiter
from convention.votes import operations, paper
from convention.votes.models import Participation, SectionReport, SectionReportRevision
from tests.auth_fixtures import page_text, switch_user
from tests.integration.test_vote_operations import answer, count, make_poll, open_now
from tests.integration.test_vote_paper import five_questions, minutes, paper_world, today_paris


@pytest.fixture(autouse=True)
def _no_login_rate_limit():
    limiter.reset()
    yield
    limiter.reset()


def email(world, key: str) -> str:
    return world.users[key].email


def fresh(model, ident):
    db.session.expire_all()
    return db.session.get(model, ident)


def section_url(poll, section, suffix="") -> str:
    return f"/vote/{poll.id}/papier/section/{section.id}{suffix}"


def federation_url(poll, federation, suffix="") -> str:
    return f"/vote/{poll.id}/papier/federation/{federation.id}{suffix}"


def minutes_form(poll, *, date, voters, registered, yes, no=0, abstain=0, blank=0, void=0, confirm=True) -> dict:
    (question,) = poll.questions
    data = {
        "meeting_date": date.isoformat(),
        "bureau_names": "Anne Martin (présidente), Paul Roux (assesseur)",
        "registered": str(registered),
        "voters": str(voters),
        f"q{question.id}-yes": str(yes),
        f"q{question.id}-no": str(no),
        f"q{question.id}-abstain": str(abstain),
        f"q{question.id}-blank": str(blank),
        f"q{question.id}-void": str(void),
    }
    if confirm:
        data["confirm"] = "y"
    return data


# --- the journey ----------------------------------------------------------------------------------


def test_the_secretary_marks_enters_the_minutes_and_the_federation_validates(database, client):
    world = paper_world()
    poll = open_now(world.vote)
    operations.cast_ballot(world.users["voter2"], poll, answer(poll, "Contre"))  # voted online
    db.session.commit()
    grenoble, isere = world.grenoble, world.vote.isere
    switch_user(client, email(world, "secretary"))

    # The poll page and the account page lead to the section's émargement list.
    poll_page = page_text(client.get(f"/vote/{poll.id}"))
    assert "Émargement du vote — section Grenoble" in poll_page
    account = page_text(client.get("/compte/"))
    assert "Émargement du vote" in account and section_url(poll, grenoble) in account

    page = page_text(client.get(section_url(poll, grenoble)))
    assert "Ouvrir la liste d'émargement" in page
    response = client.post(section_url(poll, grenoble, "/ouvrir"), data={})  # not confirmed
    assert response.status_code == 302 and count(SectionReport) == 0
    response = client.post(section_url(poll, grenoble, "/ouvrir"), data={"confirm": "y"}, follow_redirects=True)
    assert "La liste d'émargement de la section est ouverte." in page_text(response)
    report_id = db.session.scalar(sa.select(SectionReport.id))

    page = page_text(client.get(section_url(poll, grenoble)))
    assert "a voté en ligne" in page  # voter2
    assert page.count(">Émarger<") == 3  # militant, secretary, the member without account
    # The search field: accents and case do not matter.
    militant = world.users["militant"].member
    found = page_text(client.get(section_url(poll, grenoble), query_string={"q": militant.last_name.upper()}))
    assert "1 adhérent·e trouvé·e" in found and militant.membership_number in found

    for key in ("militant", "secretary"):
        response = client.post(section_url(poll, grenoble, "/emarger"), data={"member_id": world.users[key].member_id})
        assert response.status_code == 302 and response.headers["Location"].endswith(f"#m{world.users[key].member_id}")
    refused = client.post(
        section_url(poll, grenoble, "/emarger"),
        data={"member_id": world.users["voter2"].member_id},
        follow_redirects=True,
    )
    assert "a voté en ligne : il ou elle ne peut pas voter une seconde fois sur papier" in page_text(refused)
    page = page_text(client.get(section_url(poll, grenoble)))
    assert page.count("émargé·e (papier)") == 2
    assert count(Participation, Participation.channel == VoteChannel.PAPER) == 2

    # The minutes: prefilled with the roll and the marks; a mismatch is explained, nothing is written.
    form_page = page_text(client.get(section_url(poll, grenoble, "/proces-verbal")))
    assert re.search(r'id="registered"[^>]*value="4"', form_page) and re.search(r'id="voters"[^>]*value="2"', form_page)
    bad = minutes_form(poll, date=today_paris(), voters=2, registered=4, yes=2, no=1)
    response = client.post(section_url(poll, grenoble, "/proces-verbal"), data=bad)
    assert response.status_code == 200
    text = page_text(response)
    assert "Le procès-verbal n'a pas été transmis" in text
    assert "Pour 2 + Contre 1 + Abstention 0 + blancs 0 + nuls 0 = 3, mais 2 votant·es sont émargé·es." in text
    assert 'aria-invalid="true"' in text
    assert count(SectionReportRevision) == 0
    good = minutes_form(poll, date=today_paris(), voters=2, registered=4, yes=1, no=1)
    response = client.post(section_url(poll, grenoble, "/proces-verbal"), data=good, follow_redirects=True)
    assert "version 1" in page_text(response)
    assert fresh(SectionReport, report_id).state == ReportState.SUBMITTED

    # The federation's first secretary sends it back (a reason is required), the section corrects it.
    switch_user(client, email(world, "fed_isere"))
    fed_page = page_text(client.get(federation_url(poll, isere)))
    assert "Section Grenoble" in fed_page and "Anne Martin" in fed_page and "Valider le procès-verbal" in fed_page
    client.post(federation_url(poll, isere, f"/{report_id}/renvoyer"), data={"reason": ""})
    assert fresh(SectionReport, report_id).state == ReportState.SUBMITTED
    client.post(
        federation_url(poll, isere, f"/{report_id}/renvoyer"), data={"reason": "Date de la réunion à vérifier."}
    )
    assert fresh(SectionReport, report_id).state == ReportState.RETURNED

    switch_user(client, email(world, "secretary"))
    page = page_text(client.get(section_url(poll, grenoble)))
    assert "Motif : Date de la réunion à vérifier." in page and "Corriger le procès-verbal" in page
    form_page = page_text(client.get(section_url(poll, grenoble, "/proces-verbal")))
    assert "Anne Martin (présidente)" in form_page  # the last version, to correct
    response = client.post(section_url(poll, grenoble, "/proces-verbal"), data=good, follow_redirects=True)
    assert "version 2" in page_text(response)

    switch_user(client, email(world, "fed_isere"))
    client.post(federation_url(poll, isere, f"/{report_id}/valider"), data={})  # not confirmed
    assert fresh(SectionReport, report_id).state == ReportState.SUBMITTED
    response = client.post(
        federation_url(poll, isere, f"/{report_id}/valider"), data={"confirm": "y"}, follow_redirects=True
    )
    assert "est validé : il sera compté" in page_text(response)
    report = fresh(SectionReport, report_id)
    assert report.state == ReportState.VALIDATED and report.validated_revision.number == 2
    history = page_text(client.get(section_url(poll, grenoble)))
    assert "version 2 validée par" in history and "renvoyé à la section par" in history

    # A member marked on paper is refused online, with the reason.
    switch_user(client, email(world, "militant"))
    response = client.post(
        f"/vote/{poll.id}/bulletin", data={**answer_form(poll, "Pour"), "confirmed": "1"}, follow_redirects=True
    )
    assert "émargé·e sur la liste de votre section, qui vote sur papier" in page_text(response)
    rows = db.session.execute(
        sa.select(Participation.channel).where(Participation.member_id == world.users["militant"].member_id)
    ).all()
    assert rows == [(VoteChannel.PAPER,)]


def answer_form(poll, label: str) -> dict:
    option = next(o for o in poll.options if o.label == label)
    return {f"q{option.question_id}": option.choice}


def test_the_minutes_form_reads_every_method(database, client):
    world = paper_world()
    poll = open_now(world.vote, questions=five_questions())
    report = paper.open_report(world.users["secretary"], poll, world.grenoble)
    for key in ("militant", "voter2", "secretary"):
        paper.mark_voter(world.users["secretary"], report, world.users[key].member_id)
    db.session.commit()
    yes_no, single, approval, judgment, ranking = poll.questions
    spring, autumn = single.options
    police, prevention, justice = approval.options
    a, b = judgment.options
    x, y, quo = ranking.options
    switch_user(client, email(world, "secretary"))
    url = section_url(poll, world.grenoble, "/proces-verbal")

    page = page_text(client.get(url))
    assert page.count("Classement n°") == 5  # five ranking lines to start with
    more = client.post(url, data={f"q{ranking.id}-rows": "5", "more_rows": str(ranking.id)})
    assert page_text(more).count("Classement n°") == 10
    assert count(SectionReportRevision) == 0

    data = {
        "meeting_date": today_paris().isoformat(),
        "bureau_names": "Anne Martin",
        "registered": "4",
        "voters": "3",
        "confirm": "y",
        f"q{yes_no.id}-yes": "2", f"q{yes_no.id}-no": "0", f"q{yes_no.id}-abstain": "1",
        f"q{yes_no.id}-blank": "0", f"q{yes_no.id}-void": "0",
        f"q{single.id}-o{spring.id}": "1", f"q{single.id}-o{autumn.id}": "1",
        f"q{single.id}-blank": "1", f"q{single.id}-void": "",
        f"q{approval.id}-o{police.id}": "3", f"q{approval.id}-o{prevention.id}": "1", f"q{approval.id}-o{justice.id}": "",
        f"q{judgment.id}-blank": "1",
        f"q{ranking.id}-rows": "5",
        f"q{ranking.id}-r1-count": "2", f"q{ranking.id}-r1-o{x.id}": "1", f"q{ranking.id}-r1-o{y.id}": "1",
        f"q{ranking.id}-r1-o{quo.id}": "2",
        f"q{ranking.id}-r3-count": "1", f"q{ranking.id}-r3-o{quo.id}": "1",
    }  # fmt: skip
    for grade in range(6):
        data[f"q{judgment.id}-o{a.id}-g{grade}"] = "1" if grade in (0, 2) else ""
        data[f"q{judgment.id}-o{b.id}-g{grade}"] = "2" if grade == 5 else "0"
    response = client.post(url, data=data)
    assert response.status_code == 302, page_text(response)
    revision = db.session.scalar(sa.select(SectionReportRevision))
    figures = json.loads(revision.figures)
    assert figures[yes_no.key] == {"yes": 2, "no": 0, "abstain": 1, "blank": 0, "void": 0}
    assert figures[single.key] == {str(spring.id): 1, str(autumn.id): 1, "blank": 1, "void": 0}
    assert figures[approval.key][str(police.id)] == 3 and figures[approval.key][str(justice.id)] == 0
    assert figures[judgment.key][str(a.id)] == [1, 0, 1, 0, 0, 0] and figures[judgment.key]["blank"] == 1
    assert figures[ranking.key]["rankings"] == [
        {"count": 2, "ranking": [sorted([x.id, y.id]), [quo.id]]},
        {"count": 1, "ranking": [[quo.id]]},
    ]


def test_the_bureau_national_sees_every_section_and_the_pending_minutes(database, client):
    world = paper_world()
    poll = open_now(world.vote)
    report = paper.open_report(world.users["secretary"], poll, world.grenoble)
    paper.open_report(world.users["sec_lyon"], poll, world.lyon)
    paper.mark_voter(world.users["secretary"], report, world.users["militant"].member_id)
    paper.submit_minutes(world.users["secretary"], report, minutes(poll, 1, 4))
    db.session.commit()
    switch_user(client, "bn@example.org")
    poll_page = page_text(client.get(f"/vote/{poll.id}"))
    assert "Tous les votes sur papier des sections" in poll_page
    overview = page_text(client.get(f"/vote/{poll.id}/papier/"))
    assert "2 procès-verbaux ne sont pas encore validés" in overview
    assert "Fédération de Isère" in overview and "Fédération de Rhône" in overview
    assert client.get(section_url(poll, world.grenoble)).status_code == 200  # read only
    assert ">Émarger<" not in page_text(client.get(section_url(poll, world.grenoble)))


def test_a_militant_sees_no_paper_vote_links(database, client):
    world = paper_world()
    poll = open_now(world.vote)
    db.session.commit()
    switch_user(client, email(world, "militant"))
    assert "Vote sur papier en section" not in page_text(client.get(f"/vote/{poll.id}"))
    assert "Émargement du vote" not in page_text(client.get("/compte/"))


def test_pages_of_a_draft_or_an_online_only_poll_are_not_found(database, client):
    world = paper_world()
    draft = make_poll(world.vote, title="Brouillon")
    online_only = open_now(world.vote, title="En ligne", allows_paper=False)
    db.session.commit()
    switch_user(client, email(world, "secretary"))
    assert client.get(section_url(draft, world.grenoble)).status_code == 404
    assert client.get(section_url(online_only, world.grenoble)).status_code == 404
    assert "Vote sur papier en section" not in page_text(client.get(f"/vote/{online_only.id}"))


# --- the permission matrix ----------------------------------------------------------------------


def _matrix_world():
    world = paper_world()
    poll = open_now(world.vote)
    report = paper.open_report(world.users["secretary"], poll, world.grenoble)
    paper.mark_voter(world.users["secretary"], report, world.users["militant"].member_id)
    paper.submit_minutes(world.users["secretary"], report, minutes(poll, 1, 4))
    db.session.commit()
    return world, poll, report


def _routes(world, poll, report):
    """Every route of the paper vote for Grenoble (Isère), as (method, path, form data)."""
    g, isere = world.grenoble, world.vote.isere
    member = {"member_id": world.users["voter2"].member_id}
    return [
        ("GET", section_url(poll, g), None),
        ("POST", section_url(poll, g, "/ouvrir"), {"confirm": "y"}),
        ("POST", section_url(poll, g, "/emarger"), member),
        ("POST", section_url(poll, g, "/retirer"), {"member_id": world.users["militant"].member_id}),
        ("GET", section_url(poll, g, "/proces-verbal"), None),
        ("POST", section_url(poll, g, "/proces-verbal"), {"confirm": "y", "registered": "4", "voters": "1"}),
        ("GET", federation_url(poll, isere), None),
        ("POST", federation_url(poll, isere, f"/{report.id}/valider"), {"confirm": "y"}),
        ("POST", federation_url(poll, isere, f"/{report.id}/renvoyer"), {"reason": "Non."}),
    ]


def _state(report_id):
    db.session.expire_all()
    report = db.session.get(SectionReport, report_id)
    return report.state, count(Participation), count(SectionReportRevision), count(SectionReport)


@pytest.mark.parametrize("key", ["sec_lyon", "sec_voiron", "fed_rhone", "militant", None])
def test_secretaries_act_only_for_their_own_unit(database, client, key):
    """A section secretary of another section, a federation secretary of another federation, a militant
    and an anonymous visitor are refused on every route, and nothing changes."""
    world, poll, report = _matrix_world()
    before = _state(report.id)
    if key:
        switch_user(client, email(world, key))
    for method, path, data in _routes(world, poll, report):
        response = client.get(path) if method == "GET" else client.post(path, data=data)
        if key is None:
            assert response.status_code == 302 and "/compte/connexion" in response.headers["Location"], path
        else:
            assert response.status_code == 403, (method, path, response.status_code)
    assert _state(report.id) == before
    overview = client.get(f"/vote/{poll.id}/papier/")
    if key is None:
        assert overview.status_code == 302 and "/compte/connexion" in overview.headers["Location"]
    elif key == "militant":
        assert overview.status_code == 403
    else:  # a secretary lands on their own unit's page, never on Grenoble's or Isère's
        location = overview.headers["Location"]
        assert overview.status_code == 302 and f"/section/{world.grenoble.id}" not in location
        assert f"/federation/{world.vote.isere.id}" not in location


def test_a_secretary_of_another_unit_is_sent_to_their_own_page_from_the_overview(database, client):
    world, poll, report = _matrix_world()
    switch_user(client, email(world, "sec_lyon"))
    response = client.get(f"/vote/{poll.id}/papier/")
    assert response.status_code == 302 and response.headers["Location"].endswith(section_url(poll, world.lyon))
    switch_user(client, email(world, "militant"))
    assert client.get(f"/vote/{poll.id}/papier/").status_code == 403


def test_the_federation_secretary_reads_the_section_but_does_not_keep_its_list(database, client):
    world, poll, report = _matrix_world()
    switch_user(client, email(world, "fed_isere"))
    assert client.get(section_url(poll, world.grenoble)).status_code == 200
    before = _state(report.id)
    for method, path, data in _routes(world, poll, report)[1:6]:
        if method == "POST":
            assert client.post(path, data=data).status_code == 403, path
        else:
            assert client.get(path).status_code == 403, path
    assert _state(report.id) == before


def test_the_section_secretary_does_not_validate_their_own_minutes(database, client):
    world, poll, report = _matrix_world()
    switch_user(client, email(world, "secretary"))
    before = _state(report.id)
    for method, path, data in _routes(world, poll, report)[6:]:
        response = client.get(path) if method == "GET" else client.post(path, data=data)
        assert response.status_code == 403, path
    assert _state(report.id) == before


def test_a_report_of_another_federation_is_not_found_through_this_one(database, client):
    world, poll, report = _matrix_world()
    switch_user(client, email(world, "fed_rhone"))
    response = client.post(federation_url(poll, world.vote.rhone, f"/{report.id}/valider"), data={"confirm": "y"})
    assert response.status_code == 404
    assert _state(report.id)[0] == ReportState.SUBMITTED


def test_no_poll_page_leaks_a_paper_voter_s_choice(database, client):
    """The section page shows who is marked, never an answer; the minutes are per section."""
    world, poll, report = _matrix_world()
    switch_user(client, email(world, "secretary"))
    page = page_text(client.get(section_url(poll, world.grenoble)))
    line = re.search(rf'id="m{world.users["militant"].member_id}".*?</li>', page, re.S).group(0)
    assert "émargé·e (papier)" in line and "Pour" not in line and "Contre" not in line
