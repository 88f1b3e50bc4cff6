"""Issue 10's scenario in one story: amendments adopted, a conflict refused then resolved (the committee goes
back on one adoption and rejects it), version 2 consolidated, the pending amendments re-anchored or
« à redéposer », version 2 marked « adopté par le Bureau national » from the web, and the difference page
and the API agreeing on what changed and by which amendments."""

from __future__ import annotations

import re
from html import unescape

import pytest
import sqlalchemy as sa

from convention.amendments import consolidation
from convention.amendments import operations as ops
from convention.amendments.models import Amendment, BlockAmendment
from convention.domain.amendments import AmendmentStatus
from convention.domain.errors import DomainError
from convention.domain.phases import PhaseKind
from convention.domain.textstructure import normalize_space
from convention.extensions import db
from convention.jobs.models import Job, JobKind, JobState
from convention.texts.models import Block, TextVersion, VersionStatus
from tests.amendment_fixtures import P1, P3, Q2, TODAY, build_world, edit, load_world, log_in, submit

CONSOLIDATE = "/amendements/examen/consolider"


@pytest.fixture()
def world(database, app):
    world = build_world(PhaseKind.AMENDMENTS)
    world.convention.amendment_cosignatures_required = 0
    db.session.commit()
    return world


def admit(world, amendment):
    ops.declare_admissibility(world.users["committee"], amendment, True, "Recevable.", today=TODAY)
    db.session.commit()
    return amendment


def adopt(world, amendment, status=AmendmentStatus.ADOPTED, wording=""):
    admit(world, amendment)
    ops.decide_amendment(world.users["committee"], amendment, status, "Adopté par le comité.", wording, today=TODAY)
    db.session.commit()
    return amendment


def versions() -> list[TextVersion]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(TextVersion).order_by(TextVersion.number)))


def blocks_of(version: TextVersion) -> dict[str, Block]:
    return {b.anchor: b for b in db.session.scalars(sa.select(Block).where(Block.version_id == version.id))}


def page_blocks(html: str) -> dict[str, tuple[str, list[int]]]:
    """The difference page's blocks: anchor → (change, amendment numbers linked)."""
    found = {}
    for match in re.finditer(r'<li class="diff-block diff-(\w+)[^"]*" id="diff-([^"]+)">(.*?)</li>', html, re.S):
        change, anchor, body = match.groups()
        numbers = [int(n) for n in re.findall(r"l'amendement n° (\d+)</a>", unescape(body))]
        found[anchor] = (change, numbers)
    return found


def test_amendments_ii_from_a_refused_conflict_to_version_2_adopted_by_the_bureau(world, app, client):
    # --- amendments adopted on version 1, others still pending ---------------------------------------------
    grenoble = adopt(world, submit(world, "section_secretary", "I-1-1", unit=world.section,
                                   edited=edit(P1, "dès l'école", "dès la petite enfance")))  # fmt: skip
    wording = adopt(world, submit(world, "member_paid", "I-1-2",
                                  edited=edit(world.block("I-1-2").text, "d'ici à la fin du mandat", "avant 2030")))  # fmt: skip
    deletion = adopt(world, submit(world, "member_paid", "I-1-3", requested=ops.RequestedKind.DELETE))
    insertion = adopt(world, submit(world, "author", "I-2-1", requested=ops.RequestedKind.INSERT,
                                    edited="Un juge des enfants sera nommé dans chaque tribunal judiciaire."))  # fmt: skip
    same_block = admit(world, submit(world, "author", "I-1-1", edited=edit(P1, "éducateurs de rue",
                                                                           "éducateurs spécialisés")))  # fmt: skip
    moved = submit(world, "member_paid", "I-2-2", edited=edit(Q2, "greffiers", "greffières et greffiers"))
    orphan = submit(world, "author", "I-1-3", edited=edit(P3, "sous l'autorité du maire", "avec le maire"))
    # A rival adopted on Grenoble's words: two adopted amendments in conflict.
    rival = adopt(world, submit(world, "author", "I-1-1", edited=edit(P1, "dès l'école", "au collège")))
    filed = {"grenoble": grenoble, "wording": wording, "deletion": deletion, "insertion": insertion,
             "same_block": same_block, "moved": moved, "orphan": orphan, "rival": rival}  # fmt: skip
    ids = {name: a.id for name, a in filed.items()}
    numbers = {name: a.number for name, a in filed.items()}
    before_moved = (moved.line_start, moved.line_end, moved.span_start, moved.span_end, moved.citation)

    # --- the conflict: refused by the operation, and over HTTP with the numbers ------------------------------
    world = load_world()
    committee = world.users["committee"]
    with pytest.raises(DomainError) as refused:
        consolidation.start_consolidation(committee, world.convention, world.text)
    assert f"n° {numbers['grenoble']}" in str(refused.value) and f"n° {numbers['rival']}" in str(refused.value)
    db.session.rollback()
    log_in(client, committee)
    page = client.get(CONSOLIDATE).get_data(as_text=True)
    assert "Des amendements adoptés sont en conflit" in page
    assert "Consolider le texte : écrire la version 2" not in page
    response = client.post(CONSOLIDATE, data={})
    assert response.status_code == 409
    body = response.get_data(as_text=True)
    assert f"n° {numbers['grenoble']}" in body and f"n° {numbers['rival']}" in body
    assert len(versions()) == 1
    assert db.session.scalar(sa.select(sa.func.count(Job.id)).where(Job.kind == JobKind.TEXT_CONSOLIDATION)) == 0

    # --- resolved: the committee goes back on the rival's adoption, then rejects it ---------------------------
    rival = db.session.get(Amendment, ids["rival"])
    ops.reconsider_decision(committee, rival, "Conflit avec l'amendement de Grenoble.", today=TODAY)
    assert rival.status == AmendmentStatus.ADMISSIBLE
    ops.decide_amendment(committee, rival, AmendmentStatus.REJECTED, "Celui de Grenoble est retenu.", today=TODAY)
    db.session.commit()
    page = client.get(CONSOLIDATE).get_data(as_text=True)
    assert "Des amendements adoptés sont en conflit" not in page and "4 amendements adoptés" in page

    # --- version 2 consolidated ------------------------------------------------------------------------------
    response = client.post(CONSOLIDATE, data={})
    assert response.status_code == 302
    job = db.session.scalars(sa.select(Job).where(Job.kind == JobKind.TEXT_CONSOLIDATION)).one()
    assert response.headers["Location"].endswith(f"/travaux/{job.id}")
    assert job.state == JobState.SUCCEEDED, (job.error, job.error_details)
    one, two = versions()
    assert (two.number, two.status) == (2, VersionStatus.AMENDED)
    new = blocks_of(two)
    assert sorted(new) == ["I-1-1", "I-1-2", "I-2-1", "I-2-1a", "I-2-2"]
    assert "dès la petite enfance" in new["I-1-1"].text and "au collège" not in new["I-1-1"].text
    assert new["I-1-2"].text.endswith("avant 2030.")
    changed_by = dict(
        db.session.execute(
            sa.select(BlockAmendment.block_anchor, BlockAmendment.amendment_id).where(
                BlockAmendment.version_id == two.id
            )
        ).all()
    )
    assert changed_by == {"I-1-1": ids["grenoble"], "I-1-2": ids["wording"], "I-1-3": ids["deletion"],
                          "I-2-1a": ids["insertion"]}  # fmt: skip

    # --- pending amendments: moved with new lines and citation, or flagged « à redéposer » --------------------
    for name in ("same_block", "moved"):
        amendment = db.session.get(Amendment, ids[name])
        block = new[amendment.block_anchor]
        assert amendment.version_id == two.id and not amendment.is_orphaned
        assert normalize_space(block.text)[amendment.span_start : amendment.span_end] == amendment.original
        assert block.line_start <= amendment.line_start <= amendment.line_end <= block.line_end
        assert f"ligne {amendment.line_start}" in amendment.citation.lower()
    moved = db.session.get(Amendment, ids["moved"])
    assert moved.line_start != before_moved[0]  # the paragraph inserted before it pushes it down
    assert moved.line_end - moved.line_start == before_moved[1] - before_moved[0]
    assert (moved.span_start, moved.span_end) == before_moved[2:4]
    assert moved.citation != before_moved[4]
    orphan = db.session.get(Amendment, ids["orphan"])
    assert orphan.is_orphaned and orphan.version_id == one.id and orphan.status == AmendmentStatus.SUBMITTED
    assert db.session.get(Amendment, ids["rival"]).status == AmendmentStatus.REJECTED

    # --- the Bureau national marks version 2 « adopté par le Bureau national », from the web -----------------
    bureau = world.users["national_bureau"]
    log_in(client, bureau)
    listing = client.get("/texte/versions/").get_data(as_text=True)
    confirm_url = "/texte/versions/2/statut?statut=adopted_by_bn"
    assert f'href="{confirm_url}"' in listing.replace("&amp;", "&")
    confirm = client.get(confirm_url)
    assert confirm.status_code == 200
    assert "Confirmer : Adopté par le Bureau national" in confirm.get_data(as_text=True)
    assert versions()[1].status == VersionStatus.AMENDED  # nothing written before the confirmation
    done = client.post("/texte/versions/2/statut", data={"status": "adopted_by_bn"})
    assert done.status_code == 302 and done.headers["Location"].endswith("/texte/versions/")
    assert versions()[1].status == VersionStatus.ADOPTED_BY_BN
    listing = client.get("/texte/versions/").get_data(as_text=True)
    assert "La version 2 est désormais : Adopté par le Bureau national." in unescape(listing)
    log_in(client, committee)  # anyone else may not
    assert client.post("/texte/versions/2/statut", data={"status": "submitted_to_vote"}).status_code == 403

    # --- the difference page and the API agree ------------------------------------------------------------
    html = client.get("/texte/versions/difference?de=1&a=2").get_data(as_text=True)
    on_page = page_blocks(html)
    api = client.get(f"/api/v1/texts/{world.text.id}/diff?from=1&to=2")
    assert api.status_code == 200
    in_api = {b["id"]: (b["change"], b["amendments"]) for b in api.get_json()["blocks"] if b["change"] != "unchanged"}
    assert on_page == in_api
    assert in_api == {
        "I-1-1": ("modified", [numbers["grenoble"]]),
        "I-1-2": ("modified", [numbers["wording"]]),
        "I-1-3": ("deleted", [numbers["deletion"]]),
        "I-2-1a": ("inserted", [numbers["insertion"]]),
    }
    for anchor in ("I-1", "I-2"):  # and chapter by chapter
        chapter_html = client.get(f"/texte/versions/difference?de=1&a=2&chapitre={anchor}").get_data(as_text=True)
        chapter_api = client.get(f"/api/v1/texts/{world.text.id}/diff?from=1&to=2&chapter={anchor}").get_json()
        assert page_blocks(chapter_html) == {b["id"]: (b["change"], b["amendments"]) for b in chapter_api["blocks"]}
    assert "I-2-1" not in on_page and "I-2-2" not in on_page  # unchanged: not on the whole text's page
