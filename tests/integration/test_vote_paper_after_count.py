"""Minutes validated, or sent back once counted, after the count: the stored results are out of date,
so the poll goes back to « clos » and cannot be proclaimed until it is counted again."""

from __future__ import annotations

import pytest

from convention.core.audit import AuditEntry
from convention.domain.errors import IllegalTransition
from convention.domain.polls import PollState
from convention.extensions import db
from convention.jobs import runner
from convention.votes import operations, paper
from convention.votes.models import Poll
from tests.integration.test_vote_operations import answer
from tests.integration.test_vote_paper import open_grenoble, paper_world, submitted


def counted(world, poll) -> Poll:
    job = operations.close_poll(world.users["bn"], poll)
    db.session.commit()
    runner.run(job.id)
    db.session.expire_all()
    return db.session.get(Poll, poll.id)


def test_minutes_changed_after_the_count_need_a_new_count_before_the_proclamation(database):
    world = paper_world()
    poll, report = open_grenoble(world)
    submitted(world, poll, report)
    operations.cast_ballot(world.users["lyonnais"], poll, answer(poll, "Contre"))
    db.session.commit()
    poll = counted(world, poll)
    assert poll.state == PollState.TALLIED  # the minutes were transmitted but not validated: not counted
    bureau, federation = world.users["bn"], world.users["fed_isere"]

    # Validated after the count: the results are out of date.
    paper.validate_report(federation, db.session.get(type(report), report.id))
    db.session.commit()
    poll = db.session.get(Poll, poll.id)
    assert poll.state == PollState.CLOSED and poll.tallied_dt is None
    with pytest.raises(IllegalTransition):
        operations.proclaim(bureau, poll)
    db.session.rollback()
    entry = db.session.query(AuditEntry).filter_by(action="poll.count_out_of_date").one()
    assert entry.data["reason"] == "procès-verbal validé après le dépouillement"

    # Counted again: tallied; a counted report sent back makes it out of date again.
    job = operations.relaunch_tally(bureau, db.session.get(Poll, poll.id))
    db.session.commit()
    runner.run(job.id)
    db.session.expire_all()
    assert db.session.get(Poll, poll.id).state == PollState.TALLIED
    paper.return_report(federation, db.session.get(type(report), report.id), "Chiffres à vérifier.")
    db.session.commit()
    assert db.session.get(Poll, poll.id).state == PollState.CLOSED


def test_small_minutes_are_grouped_in_the_export_and_the_recount_still_matches(database, tmp_path, app):
    from convention.votes import export

    world = paper_world()
    poll, report = open_grenoble(world)
    submitted(world, poll, report)  # two paper voters: below the threshold of 10
    paper.validate_report(world.users["fed_isere"], report)
    operations.cast_ballot(world.users["lyonnais"], poll, answer(poll, "Contre"))
    db.session.commit()
    poll = counted(world, poll)
    data = export.build_export(poll)
    names = [entry["section"] for entry in data["minutes"]]
    assert "Grenoble" not in names and names == ["Autres procès-verbaux regroupés"]
    (grouped,) = data["minutes"]
    assert grouped["voters"] == 2 and grouped["bureau_names"] == "" and grouped["meeting_date"] is None
    path = tmp_path / "export.json"
    path.write_bytes(export.export_bytes(poll))
    result = app.test_cli_runner().invoke(args=["polls", "verify", str(path)])
    assert result.exit_code == 0, result.output


def test_a_small_section_that_voted_only_on_paper_is_not_published_on_its_own(database):
    from convention.votes import results

    world = paper_world()
    poll, report = open_grenoble(world, secrecy_threshold=3)
    submitted(world, poll, report)  # Grenoble: two paper voters, both « Pour » (unanimous)
    paper.validate_report(world.users["fed_isere"], report)
    operations.cast_ballot(world.users["lyonnais"], poll, answer(poll, "Contre"))
    db.session.commit()
    poll = counted(world, poll)
    found = results.get_results(poll)
    labels = [cell.label for level in found.sections for cell in level.cells]
    labels += [cell.label for cell in found.federations]
    assert labels and not any("Grenoble" in label and "Autres" not in label for label in labels), labels
    for cell in [c for level in found.sections for c in level.cells] + list(found.federations):
        assert cell.ballots == 0 or cell.ballots >= 3
