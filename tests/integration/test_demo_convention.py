"""The demo convention: built from the document around the day of seeding, the archive untouched,
idempotent on a later day, and ``flask demo shift`` moving every one of its dates."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from convention.amendments.models import Amendment, AmendmentCosignature
from convention.calendar.models import Event, EventRegistration
from convention.contributions.models import Contribution
from convention.conventions.models import Convention, Phase
from convention.core.db import db
from convention.domain.phases import PhaseKind
from convention.domain.polls import PollState
from convention.groups.models import SteeringRole, WorkingGroup
from convention.texts.models import Acronym, Block, Text, TextVersion
from convention.votes.models import Participation, Poll
from seed.demo_convention import DEMO_SLUG, days_to_open

ARCHIVE_SLUG = "securite-prevention-2025"
PARIS = ZoneInfo("Europe/Paris")


def convention(slug: str) -> Convention:
    return db.session.scalar(sa.select(Convention).where(Convention.slug == slug))


def snapshot(slug: str) -> dict:
    """Everything of a convention that the demo must not change (archive) or move (demo)."""
    found = convention(slug)
    cid = found.id

    def rows(*columns, where):
        return sorted(tuple(str(v) for v in row) for row in db.session.execute(sa.select(*columns).where(where)))

    text_ids = sa.select(Text.id).where(Text.convention_id == cid)
    versions = sa.select(TextVersion.id).where(TextVersion.text_id.in_(text_ids))
    polls = sa.select(Poll.id).where(Poll.convention_id == cid)
    return {
        "convention": (found.title, found.published_dt is not None, found.phase_override),
        "phases": rows(Phase.kind, Phase.starts_on, Phase.ends_on, where=Phase.convention_id == cid),
        "groups": rows(WorkingGroup.number, WorkingGroup.title, where=WorkingGroup.convention_id == cid),
        "steering": rows(SteeringRole.person_id, SteeringRole.kind, where=SteeringRole.convention_id == cid),
        "events": rows(Event.title, Event.starts_dt, Event.minutes_published_dt, where=Event.convention_id == cid),
        "contributions": rows(
            Contribution.number, Contribution.title, Contribution.submitted_dt, Contribution.status,
            Contribution.submitted_date_known, where=Contribution.convention_id == cid,
        ),  # fmt: skip
        "acronyms": rows(Acronym.abbreviation, where=Acronym.convention_id == cid),
        "blocks": db.session.scalar(sa.select(sa.func.count()).select_from(Block).where(Block.version_id.in_(versions))),
        "amendments": rows(Amendment.number, Amendment.status, Amendment.submitted_dt, where=Amendment.convention_id == cid),
        "polls": rows(Poll.title, Poll.state, Poll.opens_at, Poll.closes_at, where=Poll.convention_id == cid),
        "participations": db.session.scalar(
            sa.select(sa.func.count()).select_from(Participation).where(Participation.poll_id.in_(polls))
        ),
        "cosignatures": db.session.scalar(
            sa.select(sa.func.count()).select_from(AmendmentCosignature).where(
                AmendmentCosignature.amendment_id.in_(sa.select(Amendment.id).where(Amendment.convention_id == cid))
            )
        ),
    }


def seed(app, *extra: str, today: dt.date | None = None):
    args = ["seed", *extra]
    if today is not None:
        args += ["--today", today.isoformat()]
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    return result.output


def test_the_demo_is_built_around_today_and_leaves_the_archive_as_it_was(app, database):
    today = dt.date.today()
    seed(app)
    archive_alone = snapshot(ARCHIVE_SLUG)
    assert convention(ARCHIVE_SLUG).is_featured  # alone, the archive is featured
    output = seed(app, "--demo", "--members", "60", today=today)
    assert "demo-securite-prevention" in output

    # The archive: unchanged by the demo, and no longer featured.
    archive = convention(ARCHIVE_SLUG)
    assert snapshot(ARCHIVE_SLUG) == archive_alone
    assert not archive.is_featured and archive.is_published
    assert archive.current_phase_kind(today) == PhaseKind.ADOPTED_TEXT

    # The demo: the same text, groups, people; dates around today; featured.
    demo = convention(DEMO_SLUG)
    assert demo.is_featured and demo.is_published and demo.title.endswith("(démonstration)")
    assert demo.phase_override is None and demo.current_phase_kind(today) == PhaseKind.AMENDMENTS
    shown = snapshot(DEMO_SLUG)
    for key in ("groups", "steering", "acronyms", "blocks"):
        assert shown[key] == archive_alone[key], key
    archive_phases = {p.kind: p for p in archive.phases}
    delta = {(p.starts_on - archive_phases[p.kind].starts_on).days for p in demo.phases}
    assert len(delta) == 1  # the document's phases, all moved by the same days
    vote = demo.phase(PhaseKind.MEMBERS_VOTE)
    assert 14 <= (vote.starts_on - today).days <= 60  # the members' vote in a few weeks
    assert demo.phase(PhaseKind.CONVENTION_DAY).ends_on > vote.starts_on
    assert demo.phase(PhaseKind.WORKING_GROUPS).ends_on < today

    # Its data: contributions, past events with minutes, coming ones open, polls, amendments.
    now = dt.datetime.now(dt.UTC)
    events = db.session.scalars(sa.select(Event).where(Event.convention_id == demo.id)).all()
    assert any(e.starts_dt < now and e.minutes_published_dt is not None for e in events)
    coming = [e for e in events if e.starts_dt > now]
    assert coming and any(
        db.session.scalar(sa.select(sa.func.count()).select_from(EventRegistration).where(EventRegistration.event_id == e.id))
        for e in coming
    )
    contributions = db.session.scalars(sa.select(Contribution).where(Contribution.convention_id == demo.id)).all()
    assert contributions and all(c.submitted_date_known for c in contributions)
    assert all(c.submitted_dt.date() <= demo.phase(PhaseKind.CONTRIBUTIONS).ends_on for c in contributions)
    assert sorted(c.number for c in contributions) == list(range(1, len(contributions) + 1))
    polls = {p.title: p for p in db.session.scalars(sa.select(Poll).where(Poll.convention_id == demo.id))}
    assert sorted(p.state for p in polls.values()) == sorted([PollState.PROCLAIMED, PollState.SCHEDULED, PollState.OPEN])
    scheduled = next(p for p in polls.values() if p.state == PollState.SCHEDULED)
    assert scheduled.opens_at.astimezone().date() >= vote.starts_on - dt.timedelta(days=1)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Amendment).where(Amendment.convention_id == demo.id)) > 50

    # Re-seeding on a later day moves nothing and adds nothing, in either convention.
    later = today + dt.timedelta(days=23)
    again = seed(app, "--demo", "--members", "60", today=later)
    assert "déjà présente" in again
    assert snapshot(DEMO_SLUG) == shown
    assert snapshot(ARCHIVE_SLUG) == archive_alone


def test_the_archive_contributions_have_unique_numbers_and_no_reception_date(app, database):
    seed(app)
    archive = convention(ARCHIVE_SLUG)
    contributions = db.session.scalars(sa.select(Contribution).where(Contribution.convention_id == archive.id)).all()
    numbers = [c.number for c in contributions]
    assert len(numbers) == len(set(numbers)) == 34
    assert not any(c.submitted_date_known for c in contributions)


def test_demo_shift_refuses_without_a_demo(app, database):
    seed(app)
    result = app.test_cli_runner().invoke(args=["demo", "shift"])
    assert result.exit_code != 0
    assert "Aucune convention de démonstration" in result.output
    assert convention(ARCHIVE_SLUG).phase_override is None


def test_demo_shift_moves_every_date_of_the_demo_and_nothing_else(app, database):
    today = dt.date.today()
    seed(app, "--demo", "--members", "60", today=today)
    archive_before = snapshot(ARCHIVE_SLUG)
    demo = convention(DEMO_SLUG)
    before = snapshot(DEMO_SLUG)
    events_before = dict(db.session.execute(
        sa.select(Event.id, Event.starts_dt).where(Event.convention_id == demo.id)).all())  # fmt: skip
    polls_before = {p.id: (p.opens_at, p.closes_at, p.roll_cutoff) for p in
                    db.session.scalars(sa.select(Poll).where(Poll.convention_id == demo.id))}  # fmt: skip
    amendments_before = dict(db.session.execute(
        sa.select(Amendment.id, Amendment.submitted_dt).where(Amendment.convention_id == demo.id)).all())  # fmt: skip

    # Already open today: nothing moves.
    result = app.test_cli_runner().invoke(args=["demo", "shift"])
    assert result.exit_code == 0, result.output
    assert "aucune date n'a bougé" in result.output
    db.session.expire_all()
    assert snapshot(DEMO_SLUG) == before

    # Forty days later the amendment phase is over: shift opens it again on that day.
    later = today + dt.timedelta(days=40)
    assert convention(DEMO_SLUG).current_phase_kind(later) != PhaseKind.AMENDMENTS
    result = app.test_cli_runner().invoke(args=["demo", "shift", "--today", later.isoformat()])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    demo = convention(DEMO_SLUG)
    assert demo.current_phase_kind(later) == PhaseKind.AMENDMENTS
    days = days_to_open([p for p in convention(ARCHIVE_SLUG).phases], PhaseKind.AMENDMENTS, later) - \
        days_to_open([p for p in convention(ARCHIVE_SLUG).phases], PhaseKind.AMENDMENTS, today)  # fmt: skip
    assert f"{days:+d} jours" in result.output and "event" in result.output and "poll" in result.output
    delta = dt.timedelta(days=days)
    for event_id, starts in events_before.items():
        moved = db.session.get(Event, event_id).starts_dt
        # The same wall-clock time in Paris, ``days`` later (summer time may change the UTC hour).
        assert moved.astimezone(PARIS).replace(tzinfo=None) - starts.astimezone(PARIS).replace(tzinfo=None) == delta
    for poll_id, (_opens, closes, cutoff) in polls_before.items():
        poll = db.session.get(Poll, poll_id)
        assert poll.roll_cutoff == cutoff + delta
        assert poll.closes_at.astimezone(PARIS).date() == closes.astimezone(PARIS).date() + delta
    for amendment_id, submitted in amendments_before.items():
        assert db.session.get(Amendment, amendment_id).submitted_dt.astimezone(PARIS).date() == (
            submitted.astimezone(PARIS).date() + delta
        )
    # The archive is not touched; the members' vote moved with the rest.
    assert snapshot(ARCHIVE_SLUG) == archive_before
    assert demo.phase(PhaseKind.MEMBERS_VOTE).starts_on > later

    # Another phase on demand: the members' vote is open that day; a forced phase is lifted.
    demo.phase_override = PhaseKind.CONTRIBUTIONS
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["demo", "shift", "--phase", "members_vote", "--today", later.isoformat()])
    assert result.exit_code == 0, result.output
    assert "Phase forcée « Contributions » levée" in result.output
    db.session.expire_all()
    demo = convention(DEMO_SLUG)
    assert demo.phase_override is None and demo.current_phase_kind(later) == PhaseKind.MEMBERS_VOTE


def test_demo_shift_opens_a_fresh_demo_vote_when_the_old_one_was_closed(app, database):
    """The scheduler closed the demo vote at the end of its window; after a shift a newcomer can vote again."""
    from convention.domain.polls import PollState
    from seed.demo_vote import OPEN_TITLE

    today = dt.date.today()
    seed(app, "--demo", "--members", "60", today=today)
    demo = convention(DEMO_SLUG)
    old = db.session.scalar(sa.select(Poll).where(Poll.convention_id == demo.id, Poll.title == OPEN_TITLE))
    old.state = PollState.TALLIED  # as the scheduler's close and count leave it
    db.session.commit()
    old_id = old.id

    later = today + dt.timedelta(days=40)
    result = app.test_cli_runner().invoke(args=["demo", "shift", "--today", later.isoformat()])
    assert result.exit_code == 0, result.output
    assert "un nouveau est ouvert" in result.output
    db.session.expire_all()
    fresh = db.session.scalar(sa.select(Poll).where(Poll.convention_id == demo.id, Poll.title == OPEN_TITLE))
    assert fresh.id != old_id and fresh.state == PollState.OPEN
    moment = dt.datetime.combine(later, dt.time(12), PARIS)
    assert fresh.opens_at <= moment < fresh.closes_at
    kept = db.session.get(Poll, old_id)
    assert kept.state == PollState.TALLIED and kept.title.startswith(f"{OPEN_TITLE} (précédent")
