"""The members' vote from the interface, as issue 11's « Done when » tells it, in one story.

The Bureau national creates a poll with two questions (the text, Pour / Contre / Abstention with
« more than half of the expressed votes »; two wordings, majority judgment) → the roll freezes with
its hash → members vote online → a section secretary marks the paper voters and enters the minutes
→ a member marked on paper is refused online → the federation validates → close → count → results
with the small cells merged → proclamation → the export, downloaded from the results page, verifies
with ``flask polls verify``, and fails once tampered.
"""

from __future__ import annotations

import hashlib
import json
import re

import pytest
import sqlalchemy as sa

from convention.domain.polls import PollState, ReportState
from convention.extensions import db, limiter
from convention.members.models import Member, User
from convention.votes.models import Ballot, Participation, Poll, RollEntry, SectionReport
from tests.auth_fixtures import make_member, page_text, switch_user
from tests.functional.test_vote_pages import POLL_FORM, WORDINGS
from tests.integration.test_vote_paper import paper_world, today_paris


@pytest.fixture(autouse=True)
def _no_login_rate_limit():
    limiter.reset()
    yield
    limiter.reset()


def _poll() -> Poll:
    db.session.expire_all()
    return db.session.scalar(sa.select(Poll))


def test_the_members_vote_from_the_interface(client, database, app, tmp_path):
    world = paper_world()
    # Grenoble gets three members without an account: they vote on paper in the section's meeting.
    paper_voters = [
        make_member(world.grenoble, first_name=f"Papier{i}", email=f"papier{i}@example.org") for i in range(3)
    ]
    db.session.commit()
    paper_ids = [m.id for m in paper_voters]

    # 1. The Bureau national creates the poll with its two questions, then opens it.
    switch_user(client, world.users["bn"].email)
    form = {**POLL_FORM, **WORDINGS, "secrecy_threshold": "3", "opens_on": today_paris().isoformat(),
            "opens_time": "00:00", "closes_on": "2099-12-31", "closes_time": "20:00"}  # fmt: skip
    assert client.post("/vote/nouveau", data=form).status_code == 302
    poll = _poll()
    text, wordings = poll.questions
    response = client.post(f"/vote/{poll.id}/gestion/ouvrir", data={"confirm": "y"}, follow_redirects=True)
    assert "Le vote est ouvert" in page_text(response)

    # 2. The roll is frozen; its hash is the SHA-256 of the sorted membership numbers, published.
    poll = _poll()
    numbers = db.session.scalars(
        sa.select(Member.membership_number).join(RollEntry, RollEntry.member_id == Member.id)
    ).all()
    expected = hashlib.sha256("".join(f"{n}\n" for n in sorted(numbers)).encode()).hexdigest()
    assert poll.state == PollState.OPEN and poll.roll_hash == expected
    assert expected in page_text(client.get(f"/vote/{poll.id}"))

    # 3. Members vote online: the text and a grade for each wording.
    a, b = wordings.options
    online = {"militant": ("yes", 0, 3), "voter2": ("yes", 1, 2), "lyonnais": ("no", 4, 1)}
    for key, (choice, grade_a, grade_b) in online.items():
        switch_user(client, world.users[key].email)
        answers = {
            f"q{text.id}": choice,
            f"q{wordings.id}-o{a.id}": str(grade_a),
            f"q{wordings.id}-o{b.id}": str(grade_b),
        }
        assert "Votre vote est définitif" in page_text(
            client.post(f"/vote/{poll.id}/bulletin", data={**answers, "confirmed": ""})
        )
        assert "Votre code de reçu" in page_text(
            client.post(f"/vote/{poll.id}/bulletin", data={**answers, "confirmed": "1"})
        )
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Ballot)) == 3

    # 4. Grenoble's secretary opens the émargement list, marks the paper voters (and the secretary), enters the minutes.
    switch_user(client, world.users["secretary"].email)
    section = f"/vote/{poll.id}/papier/section/{world.grenoble.id}"
    client.post(f"{section}/ouvrir", data={"confirm": "y"})
    marked = [*paper_ids, world.users["secretary"].member_id]
    for member_id in marked:
        assert client.post(f"{section}/emarger", data={"member_id": member_id}).status_code == 302
    # An online voter cannot be marked.
    refused = client.post(f"{section}/emarger", data={"member_id": world.users["militant"].member_id},
                          follow_redirects=True)  # fmt: skip
    assert "a voté en ligne" in page_text(refused)
    registered = db.session.scalar(
        sa.select(sa.func.count()).select_from(RollEntry).where(RollEntry.section_id == world.grenoble.id)
    )
    minutes = {
        "meeting_date": today_paris().isoformat(),
        "bureau_names": "Anne Martin (présidente), Paul Roux (assesseur)",
        "registered": str(registered),
        "voters": "4",
        f"q{text.id}-yes": "2", f"q{text.id}-no": "1", f"q{text.id}-abstain": "0",
        f"q{text.id}-blank": "1", f"q{text.id}-void": "0",
        f"q{wordings.id}-blank": "0", f"q{wordings.id}-void": "0",
        "confirm": "y",
    }  # fmt: skip
    for index, option in enumerate((a, b)):
        counts = [2, 1, 1, 0, 0, 0] if index == 0 else [0, 0, 1, 1, 1, 1]
        for grade, n in enumerate(counts):
            minutes[f"q{wordings.id}-o{option.id}-g{grade}"] = str(n)
    response = client.post(f"{section}/proces-verbal", data=minutes, follow_redirects=True)
    assert "version 1" in page_text(response), page_text(response)[:2000]
    report = db.session.scalar(sa.select(SectionReport))
    assert report.state == ReportState.SUBMITTED

    # 5. The secretary, marked on paper, is refused online.
    response = client.post(f"/vote/{poll.id}/bulletin", data={f"q{text.id}": "no", "confirmed": "1"},
                           follow_redirects=True)  # fmt: skip
    assert "émargé·e sur la liste de votre section" in page_text(response)

    # 6. The federation's first secretary validates the minutes.
    switch_user(client, world.users["fed_isere"].email)
    client.post(f"/vote/{poll.id}/papier/federation/{world.vote.isere.id}/{report.id}/valider", data={"confirm": "y"})
    db.session.expire_all()
    assert db.session.get(SectionReport, report.id).state == ReportState.VALIDATED

    # 7. Close (the count runs inline), then proclaim.
    switch_user(client, world.users["bn"].email)
    response = client.post(f"/vote/{poll.id}/gestion/clore", data={"confirm": "y"})
    assert "/travaux/" in response.headers["Location"]
    assert _poll().state == PollState.TALLIED
    client.post(f"/vote/{poll.id}/gestion/proclamer", data={"confirm": "y"})
    assert _poll().state == PollState.PROCLAIMED

    # 8. The result, stated with its rule: 2 + 2 Pour, 1 + 1 Contre: adopted (4 of 6 expressed).
    client.post("/compte/deconnexion")
    page = page_text(client.get(f"/vote/{poll.id}/resultats"))
    assert "Le texte est adopté : 4 voix Pour sur 6 suffrages exprimés, soit plus de la moitié" in page
    assert "Rédaction A" in page and "Inscrit·es" in page
    # Small cells merged: Rhône holds one online ballot (below the threshold of 3): no cell shows it alone.
    results = client.get(f"/api/v1/polls/{poll.id}/results").get_json()
    question = next(q for q in results["questions"] if q["method"] == "yes_no_abstain")
    assert question["result"]["adopted"] is True
    for cell in question["cells"]:
        assert "Rhône" not in cell["unit"] or cell["ballots"] >= 3
    assert "secret" in page

    # 9. The export, downloaded as published, verifies with flask polls verify; tampered, it fails.
    exported = client.get(f"/vote/{poll.id}/export.json").data
    assert hashlib.sha256(exported).hexdigest() == _poll().export_hash
    assert _poll().export_hash in page_text(client.get(f"/vote/{poll.id}/resultats"))
    path = tmp_path / "export.json"
    path.write_bytes(exported)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["polls", "verify", str(path)])
    assert result.exit_code == 0, result.output
    data = json.loads(exported)
    key = data["questions"][0]["key"]
    index = next(i for i, ballot in enumerate(data["ballots"]) if ballot[key] == {"choice": "no"})
    data["ballots"][index][key] = {"choice": "yes"}
    tampered = tmp_path / "modifie.json"
    tampered.write_text(json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")))
    result = runner.invoke(args=["polls", "verify", str(tampered)])
    assert result.exit_code == 1
    assert re.search(r"scores\.yes : enregistré \d+, recompté \d+", result.stderr)
    # One participation per member, whatever the channel.
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Participation)) == 7
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) >= 3
