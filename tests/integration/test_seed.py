"""The convention seeded from its document: content, repairs kept in the DB, idempotence."""

import datetime as dt

import pytest
import sqlalchemy as sa

from convention.calendar.models import Event
from convention.contributions.models import Channel, Contribution
from convention.conventions.models import Convention
from convention.core.audit import AuditEntry
from convention.domain.phases import PhaseKind
from convention.domain.textstructure import BlockKind
from convention.groups.models import Person, SteeringRole, WorkingGroup
from convention.texts.models import Acronym, Block, Proposal, Text
from seed.load import seed_convention

MODELS = (Convention, Person, SteeringRole, WorkingGroup, Event, Contribution, Acronym, Block,
          Proposal, Text)  # fmt: skip


def counts(db):
    return {m.__name__: db.session.scalar(sa.select(sa.func.count()).select_from(m)) for m in MODELS}


@pytest.fixture()
def seeded_once(database):
    report = seed_convention()
    database.session.commit()
    return report


def test_seed_twice_changes_nothing(database, seeded_once):
    first = counts(database)
    audits = database.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))
    second = seed_convention()
    database.session.commit()
    assert not second.changed
    assert counts(database) == first
    assert database.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == audits
    assert sum(second.unchanged.values()) == sum(seeded_once.created.values())


def test_flask_seed_command_is_idempotent(app, database):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed"])
    assert result.exit_code == 0, result.output
    assert "groupe de travail" in result.output
    first = counts(database)
    result = runner.invoke(args=["seed"])
    assert result.exit_code == 0, result.output
    assert "Rien à changer" in result.output
    assert counts(database) == first


def test_convention_dates_and_phases(database, seeded_once):
    convention = database.session.scalar(sa.select(Convention))
    assert convention.initiator.endswith("Faure")
    bn = convention.phase(PhaseKind.NATIONAL_BUREAU)
    vote = convention.phase(PhaseKind.MEMBERS_VOTE)
    day = convention.phase(PhaseKind.CONVENTION_DAY)
    assert bn.starts_on == dt.date(2025, 3, 4)
    assert vote.starts_on == vote.ends_on == dt.date(2025, 4, 3)
    assert day.ends_on == dt.date(2025, 4, 26)
    assert convention.current_phase_kind(dt.date(2024, 10, 1)) == PhaseKind.CONTRIBUTIONS
    assert convention.current_phase_kind(dt.date(2025, 4, 3)) == PhaseKind.MEMBERS_VOTE
    assert convention.current_phase_kind(dt.date(2026, 11, 22)) == PhaseKind.ADOPTED_TEXT


def test_seven_working_groups_with_animators(database, seeded_once):
    groups = database.session.scalars(sa.select(WorkingGroup).order_by(WorkingGroup.number)).all()
    assert [g.number for g in groups] == list(range(1, 8))
    assert groups[5].title == "Relations police-population"
    assert [p.last_name.upper() for p in groups[2].animator_people] == ["DURAIN", "PIC"]
    assert all(g.animators for g in groups)


def test_december_ninth_holds_two_events(database, seeded_once):
    events = [e for e in database.session.scalars(sa.select(Event)) if e.day == dt.date(2024, 12, 9)]
    assert len(events) == 2
    assert {e.part_of_day for e in events} == {"Matin", "Soir"}


def test_both_contribution_lists(database, seeded_once):
    platform = database.session.scalars(sa.select(Contribution).filter_by(channel=Channel.PLATFORM)).all()
    email = database.session.scalars(sa.select(Contribution).filter_by(channel=Channel.EMAIL)).all()
    assert len(email) == 9
    numbers = sorted(c.number for c in platform)
    assert 5 not in numbers and numbers[0] == 1 and numbers[-1] == 26


def test_acronym_corrections_are_flagged_and_source_kept(database, seeded_once):
    reaap = database.session.scalar(sa.select(Acronym).filter_by(abbreviation="REAAP"))
    assert reaap.expansion.startswith("Révision générale")
    assert reaap.is_corrected and "parents" in reaap.meaning
    assert reaap.correction_note


def test_text_blocks_are_numbered_and_clean(database, seeded_once):
    text = database.session.scalar(sa.select(Text))
    version = text.current_version
    blocks = [b for part in version.parts for ch in part.chapters for b in ch.blocks]
    assert len(blocks) > 300
    previous_end = 0
    for block in blocks:
        assert block.line_start == previous_end + 1
        assert block.line_end >= block.line_start
        previous_end = block.line_end
        assert "Sécurité et prévention de la délinquance\n" not in block.text
        assert " ." not in block.text.replace(" ...", "")
        assert "  " not in block.text
    anchors = [b.anchor for b in blocks]
    assert len(anchors) == len(set(anchors))
    proposals = database.session.scalars(sa.select(Proposal)).all()
    assert len(proposals) > 50
    assert all(p.block.kind == BlockKind.PROPOSAL for p in proposals)
    assert len({p.reference for p in proposals}) == len(proposals)
    recommendations = [b for b in blocks if b.kind == BlockKind.RECOMMENDATION]
    assert [b.number for b in recommendations][:5] == ["1", "2", "3", "4", "5"]
