"""Consolidation: version 2 from the adopted amendments, a job refused while two adopted ones conflict,
pending amendments re-anchored or « à redéposer », and the amendments in the chapter's « Issu de »."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from convention.amendments import consolidation
from convention.amendments import operations as ops
from convention.amendments.models import Amendment, BlockAmendment
from convention.domain.amendments import AmendmentStatus
from convention.domain.consolidation import BlockChange
from convention.domain.errors import DomainError
from convention.domain.phases import PhaseKind
from convention.domain.textstructure import normalize_space, number_lines
from convention.extensions import db
from convention.jobs import runner
from convention.jobs.models import Job, JobKind, JobState
from convention.notifications.models import Notification, NotificationKind
from convention.search.models import SearchDocument, SearchKind
from convention.texts.models import Block, TextVersion, VersionStatus
from tests.amendment_fixtures import P1, P3, Q1, Q2, TODAY, build_world, edit, load_world, log_in, submit

CONSOLIDATE = "/amendements/examen/consolider"


def decide(world, amendment: Amendment, status: AmendmentStatus = AmendmentStatus.ADOPTED, wording: str = ""):
    committee = world.users["committee"]
    ops.declare_admissibility(committee, amendment, True, "Recevable.", today=TODAY)
    if status != AmendmentStatus.ADMISSIBLE:
        ops.decide_amendment(committee, amendment, status, "Décision du comité.", wording, today=TODAY)
    db.session.commit()
    return amendment


def consolidation_jobs() -> list[Job]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Job).where(Job.kind == JobKind.TEXT_CONSOLIDATION).order_by(Job.id)))


def versions() -> list[TextVersion]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(TextVersion).order_by(TextVersion.number)))


def blocks_of(version: TextVersion) -> list[Block]:
    return list(db.session.scalars(sa.select(Block).where(Block.version_id == version.id).order_by(Block.line_start)))


@pytest.fixture()
def world(database, app):
    """The amendment world: amendments open, no co-signature needed to be admissible."""
    world = build_world(PhaseKind.AMENDMENTS)
    world.convention.amendment_cosignatures_required = 0
    db.session.commit()
    return world


def adopt_the_scenario(world):
    """Four adopted amendments and four pending ones on version 1 (numbers in submission order)."""
    grenoble = submit(world, "section_secretary", "I-1-1", unit=world.section,
                      edited=edit(P1, "dès l'école", "dès la petite enfance, à la crèche comme à l'école"))  # fmt: skip
    deletion = submit(world, "member_paid", "I-1-3", requested=ops.RequestedKind.DELETE)
    insertion = submit(world, "author", "I-2-1", requested=ops.RequestedKind.INSERT,
                       edited="Un juge des enfants sera nommé dans chaque tribunal judiciaire.")  # fmt: skip
    wording = submit(world, "member_paid", "I-1-2", edited=edit(world.block("I-1-2").text, "d'ici à la fin du mandat",
                                                                "avant 2030"))  # fmt: skip
    kept_same_block = submit(world, "author", "I-1-1", edited=edit(P1, "éducateurs de rue", "éducateurs spécialisés"))
    orphan = submit(world, "author", "I-1-3", edited=edit(P3, "sous l'autorité du maire", "avec le maire"))
    later = submit(world, "member_paid", "I-2-2", edited=edit(Q2, "greffiers", "greffières et greffiers"))
    after_insert = submit(world, "member_paid", "I-2-1", edited=edit(Q1, "éducative", "d'abord éducative"))
    decide(world, grenoble)
    decide(world, deletion)
    decide(world, insertion, AmendmentStatus.ADOPTED_MODIFIED,
           "Un juge des enfants siégera dans chaque tribunal judiciaire.")  # fmt: skip
    decide(world, wording)
    decide(world, kept_same_block, AmendmentStatus.ADMISSIBLE)
    return {
        "grenoble": grenoble.id, "deletion": deletion.id, "insertion": insertion.id, "wording": wording.id,
        "kept": kept_same_block.id, "orphan": orphan.id, "later": later.id, "after_insert": after_insert.id,
    }  # fmt: skip


def test_the_scenario_from_a_refused_conflict_to_version_2_and_its_provenance(world, app, client):
    ids = adopt_the_scenario(world)
    # A second adopted amendment on the words of Grenoble's: a conflict.
    rival = submit(world, "author", "I-1-1", edited=edit(P1, "dès l'école", "au collège"))
    decide(world, rival)
    world = load_world()
    committee = world.users["committee"]
    with pytest.raises(DomainError) as error:
        consolidation.start_consolidation(committee, world.convention, world.text)
    assert "n° 1" in str(error.value) and f"n° {rival.number}" in str(error.value)
    db.session.rollback()

    log_in(client, world.users["committee"])
    page = client.get(CONSOLIDATE).get_data(as_text=True)
    assert "Des amendements adoptés sont en conflit" in page
    assert f"Amendements n° 1 et n° {rival.number}" in page
    assert "Consolider le texte : écrire la version 2" not in page  # no button while they conflict
    refused = client.post(CONSOLIDATE, data={})
    assert refused.status_code == 409
    assert f"n° {rival.number}" in refused.get_data(as_text=True)
    assert consolidation_jobs() == [] and len(versions()) == 1

    # Resolved: the committee goes back on the rival's adoption. The lifecycle of issue 8 makes an
    # adoption final (no step leads out of « adopté »), so the decision is corrected in the database.
    db.session.get(Amendment, rival.id).status = AmendmentStatus.REJECTED
    db.session.commit()

    page = client.get(CONSOLIDATE).get_data(as_text=True)
    assert "Des amendements adoptés sont en conflit" not in page and "4 amendements adoptés" in page
    later = db.session.get(Amendment, ids["later"])
    before = {"later": (later.line_start, later.line_end, (later.span_start, later.span_end))}
    response = client.post(CONSOLIDATE, data={})
    assert response.status_code == 302
    (job,) = consolidation_jobs()
    assert response.headers["Location"].endswith(f"/travaux/{job.id}")
    assert job.state == JobState.SUCCEEDED, (job.error, job.error_details)
    assert job.result["version_number"] == 2
    job_page = client.get(f"/travaux/{job.id}").get_data(as_text=True)
    assert "Version 2 du texte écrite" in job_page and "À redéposer (1)" in job_page

    one, two = versions()
    assert (two.number, two.status, two.line_length) == (2, VersionStatus.AMENDED, one.line_length)
    new_blocks = blocks_of(two)
    by_anchor = {b.anchor: b for b in new_blocks}
    # Anchors: kept, the deleted one gone, the inserted one new; lines follow the line rule.
    assert [b.anchor for b in new_blocks] == ["I-1-1", "I-1-2", "I-2-1", "I-2-1a", "I-2-2"]
    expected_lines = number_lines([b.text for b in new_blocks], two.line_length)
    assert [(b.line_start, b.line_end) for b in new_blocks] == expected_lines
    assert "dès la petite enfance, à la crèche comme à l'école" in by_anchor["I-1-1"].text
    assert by_anchor["I-1-2"].text.endswith("avant 2030.") and by_anchor["I-1-2"].proposal is not None
    assert by_anchor["I-2-1a"].text == "Un juge des enfants siégera dans chaque tribunal judiciaire."
    assert by_anchor["I-2-1"].text == Q1
    # Which amendments changed which block.
    rows = db.session.execute(
        sa.select(BlockAmendment.block_anchor, BlockAmendment.amendment_id, BlockAmendment.change)
        .where(BlockAmendment.version_id == two.id).order_by(BlockAmendment.block_anchor)
    ).all()  # fmt: skip
    assert sorted(rows) == sorted([
        ("I-1-1", ids["grenoble"], BlockChange.MODIFIED), ("I-1-2", ids["wording"], BlockChange.MODIFIED),
        ("I-1-3", ids["deletion"], BlockChange.DELETED), ("I-2-1a", ids["insertion"], BlockChange.INSERTED),
    ])  # fmt: skip

    # Pending amendments: moved with their new lines and citation, or « à redéposer ».
    kept, orphan, later, after_insert = (db.session.get(Amendment, ids[k]) for k in ("kept", "orphan", "later",
                                                                                    "after_insert"))  # fmt: skip
    for moved in (kept, later, after_insert):
        block = by_anchor[moved.block_anchor]
        assert moved.version_id == two.id and not moved.is_orphaned
        assert normalize_space(block.text)[moved.span_start : moved.span_end] == moved.original
        assert block.line_start <= moved.line_start <= moved.line_end <= block.line_end
        assert f"ligne {moved.line_start}" in moved.citation.lower()
    assert (kept.original, kept.block_anchor) == ("de rue", "I-1-1")
    # I-2-2 is unchanged but moved: its amendment keeps its place in the paragraph, on new line numbers.
    old_block = db.session.get(Block, _block_id(one, "I-2-2"))
    assert by_anchor["I-2-2"].line_start != old_block.line_start
    assert later.line_start - by_anchor["I-2-2"].line_start == before["later"][0] - old_block.line_start
    assert later.line_end - later.line_start == before["later"][1] - before["later"][0]
    assert (later.span_start, later.span_end) == before["later"][2]
    assert orphan.is_orphaned and orphan.version_id == one.id and orphan.status == AmendmentStatus.SUBMITTED
    notes = db.session.scalars(
        sa.select(Notification).where(Notification.kind == NotificationKind.AMENDMENT_DECISION,
                                      Notification.subject.like(f"Amendement n° {orphan.number} : à redéposer%"))
    ).all()  # fmt: skip
    assert [n.user_id for n in notes] == [world.users["author"].id]
    assert "Rédaction de la version 1 : « Les polices municipales" in notes[0].body
    assert "Dans la version 2, ce paragraphe a été supprimé." in notes[0].body
    # Every member hears of the new version; the search serves version 2's blocks.
    assert db.session.scalar(
        sa.select(sa.func.count()).where(Notification.kind == NotificationKind.TEXT_VERSION)
    ) == len(world.users)
    indexed = set(db.session.scalars(sa.select(SearchDocument.object_id).where(SearchDocument.kind == SearchKind.TEXT)))
    assert indexed == {b.id for b in new_blocks}

    # The chapter page: « Modifié par l'amendement n° 1 (section de Grenoble) », linked; not on version 1.
    chapter = client.get("/texte/chapitre/I-1").get_data(as_text=True)
    assert (f'Modifié par <a href="/amendements/{ids["grenoble"]}">l&#39;amendement n° 1</a> '
            '<span class="text-muted-strong">(section de Grenoble)</span>') in chapter  # fmt: skip
    assert "(Camille Martin)" in chapter  # the proposal's wording, by a member
    assert "Modifié par" not in client.get("/texte/chapitre/I-1?version=1").get_data(as_text=True)
    justice = client.get("/texte/chapitre/I-2").get_data(as_text=True)
    assert "Inséré par" in justice and "(Aurore Autrice)" in justice

    # Version 2 is the current one: a second consolidation has nothing adopted on it.
    with pytest.raises(DomainError, match="rien à consolider"):
        consolidation.start_consolidation(committee, world.convention, load_world().text)


def _block_id(version: TextVersion, anchor: str) -> int:
    return db.session.scalar(sa.select(Block.id).where(Block.version_id == version.id, Block.anchor == anchor))


def test_the_job_itself_refuses_conflicts_and_lists_them(world, app):
    first = decide(world, submit(world, "author", "I-2-2", edited=edit(Q2, "greffiers", "greffières")))
    decide(world, submit(world, "member_paid", "I-2-2", edited=edit(Q2, "greffiers et de", "greffiers, de")))
    # Adopted meanwhile, after the job was queued: the job checks again.
    job = Job(kind=JobKind.TEXT_CONSOLIDATION, created_by_id=world.users["committee"].id,
              params={"convention_id": world.convention.id, "text_id": world.text.id,
                      "version_id": world.version.id, "version_number": 1})  # fmt: skip
    db.session.add(job)
    db.session.commit()
    assert runner.run(job.id) == "failed"
    job = consolidation_jobs()[0]
    assert "des amendements adoptés portent sur le même passage (n° 1, n° 2)" in job.error
    assert job.error_details == [f"Amendements n° {first.number} et n° 2 : ils portent sur le même passage "
                                 f"(ligne {first.line_start})."]  # fmt: skip
    assert len(versions()) == 1


def test_a_crash_leaves_nothing_and_a_rerun_writes_one_version(world, app, monkeypatch):
    ids = adopt_the_scenario(world)
    world = load_world()
    import convention.search.indexing as indexing

    real = indexing.index_text
    monkeypatch.setattr(indexing, "index_text", lambda text: (_ for _ in ()).throw(RuntimeError("worker lost")))
    job, started = consolidation.start_consolidation(world.users["committee"], world.convention, world.text)
    db.session.commit()  # the task runs after the commit (eager in the tests) and crashes at the end
    assert started and consolidation_jobs()[0].state == JobState.FAILED
    assert len(versions()) == 1
    assert db.session.get(Amendment, ids["kept"]).version_id == world.version.id
    assert not db.session.get(Amendment, ids["orphan"]).is_orphaned
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BlockAmendment)) == 0

    monkeypatch.setattr(indexing, "index_text", real)
    again = db.session.get(Job, job.id)
    again.state = JobState.QUEUED  # redelivered
    db.session.commit()
    assert runner.run(job.id) == "succeeded"
    assert [v.number for v in versions()] == [1, 2]
    # Run once more (a duplicate delivery after a lost success): it finds its version, writes none.
    again = db.session.get(Job, job.id)
    again.state = JobState.QUEUED
    db.session.commit()
    assert runner.run(job.id) == "succeeded"
    assert [v.number for v in versions()] == [1, 2]
    assert "déjà été écrite" in consolidation_jobs()[0].result["lines"][0]


def test_a_second_start_returns_the_running_job_and_nothing_adopted_is_refused(world, app, monkeypatch):
    committee = world.users["committee"]
    with pytest.raises(DomainError, match="Aucun amendement n'est adopté"):
        consolidation.start_consolidation(committee, world.convention, world.text)
    decide(world, submit(world, "author", "I-2-2", edited=edit(Q2, "greffiers", "greffières")))
    world = load_world()
    monkeypatch.setattr("convention.jobs.operations.dispatch", lambda job_id: None)  # stays queued
    first, started = consolidation.start_consolidation(committee, world.convention, world.text)
    db.session.commit()
    second, again = consolidation.start_consolidation(committee, world.convention, world.text)
    assert started and not again and second.id == first.id


@pytest.mark.parametrize("who, status", [("member_paid", 403), ("pilot_this_group", 403), ("national_bureau", 200),
                                         ("committee", 200)])  # fmt: skip
def test_only_the_committee_consolidates(world, client, who, status):
    log_in(client, world.users[who])
    assert client.get(CONSOLIDATE).status_code == status
    home = client.get("/amendements/examen/")
    if status == 200:
        assert 'href="/amendements/examen/consolider"' in home.get_data(as_text=True)


def test_the_committee_sees_its_consolidation_job_and_a_member_does_not(world, app, client):
    decide(world, submit(world, "author", "I-2-2", edited=edit(Q2, "greffiers", "greffières")))
    world = load_world()
    job, _ = consolidation.start_consolidation(world.users["committee"], world.convention, world.text)
    db.session.commit()
    job_id = job.id
    log_in(client, world.users["committee"])
    assert client.get(f"/travaux/{job_id}").status_code == 200
    log_in(client, world.users["member_paid"])
    assert client.get(f"/travaux/{job_id}").status_code == 404
