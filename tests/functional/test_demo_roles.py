"""Each demo account does its role's first action on the demo convention, at once after ``flask seed --demo``.

The module seeds once through the command (archive + demo convention, a small population), then
logs in as each demo account and acts through the pages — short paths, which serve the featured
convention: the demo — asserting what was written, in the demo convention and not in the archive.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa

from convention.amendments.models import Amendment, AmendmentCosignature
from convention.calendar.models import Event, EventKind
from convention.contributions.models import Contribution, ContributionStatus
from convention.conventions.models import Convention
from convention.core.db import db
from convention.domain.amendments import AmendmentStatus
from convention.domain.phases import PhaseKind
from convention.domain.roles import Role
from convention.groups.models import WorkingGroup
from convention.members.models import Federation, Member, Section, User
from convention.texts.models import Block, BlockKind
from convention.votes.models import Participation, Poll, RollEntry
from seed.demo import DEMO_PASSWORD
from seed.demo_convention import DEMO_SLUG
from seed.demo_vote import OPEN_TITLE
from tests.auth_fixtures import page_text
from tests.conftest import empty_tables

ARCHIVE_SLUG = "securite-prevention-2025"


@pytest.fixture(scope="module")
def demo(app):
    """``flask seed --demo --members 60`` once for the module; the tables are emptied afterwards."""
    with app.app_context():
        empty_tables()
    result = app.test_cli_runner().invoke(args=["seed", "--demo", "--members", "60"])
    assert result.exit_code == 0, result.output
    yield
    with app.app_context():
        empty_tables()


@pytest.fixture()
def ctx(app, demo):
    with app.app_context():
        yield
        db.session.rollback()


def log_in(client, key: str) -> None:
    client.post("/compte/deconnexion")
    response = client.post("/compte/connexion", data={"email": f"demo.{key}@exemple.fr", "password": DEMO_PASSWORD})
    assert response.status_code == 302, page_text(response)[:2000]


def conventions() -> tuple[Convention, Convention]:
    demo_convention = db.session.scalar(sa.select(Convention).where(Convention.slug == DEMO_SLUG))
    archive = db.session.scalar(sa.select(Convention).where(Convention.slug == ARCHIVE_SLUG))
    return demo_convention, archive


def user(key: str) -> User:
    return db.session.scalar(sa.select(User).where(User.email == f"demo.{key}@exemple.fr"))


def test_the_home_page_opens_on_the_demo_with_the_amendment_phase_open(client, ctx):
    demo_convention, archive = conventions()
    assert demo_convention.is_featured and not archive.is_featured
    assert demo_convention.current_phase_kind(dt.date.today()) == PhaseKind.AMENDMENTS
    assert archive.current_phase_kind(dt.date.today()) == PhaseKind.ADOPTED_TEXT
    home = page_text(client.get("/"))
    assert "(démonstration)" in home


def test_the_militant_files_an_amendment_and_cosigns_another(client, ctx):
    from convention.amendments.views import _preview_key

    demo_convention, _ = conventions()
    militant = user("militant")
    text_id = db.session.scalar(
        sa.select(Amendment.text_id).where(Amendment.convention_id == demo_convention.id).limit(1)
    )
    taken = set(db.session.scalars(sa.select(Amendment.block_anchor).where(Amendment.text_id == text_id)))
    from convention.texts import queries as text_queries

    version = text_queries.get_main_text(demo_convention.id).current_version
    block = next(
        b
        for b in db.session.scalars(
            sa.select(Block).where(Block.version_id == version.id, Block.kind == BlockKind.PARAGRAPH).order_by(Block.id)
        )
        if b.anchor not in taken and len(b.text.split()) > 12 and not b.anchor.startswith("p1-c2")
    )
    edited = " ".join(block.text.split()) + " Une évaluation publique en est faite chaque année."
    url = f"/amendements/nouveau?bloc={block.anchor}&type=modifier"
    log_in(client, "militant")
    form = {"edited": edited, "rationale": "Évaluer ce qui est fait."}
    preview = client.post(url, data={**form, "preview": "y"})
    assert preview.status_code == 200, page_text(preview)[:2000]
    key = _preview_key(block.anchor, "modifier", edited)
    response = client.post(url, data={**form, "confirm": "y", "preview_key": key})
    assert response.status_code == 302, page_text(response)[:2000]
    mine = db.session.scalar(
        sa.select(Amendment).where(Amendment.submitted_by_id == militant.id, Amendment.block_anchor == block.anchor)
    )
    assert mine is not None and mine.convention_id == demo_convention.id and mine.status == AmendmentStatus.SUBMITTED

    signed = sa.select(AmendmentCosignature.amendment_id).where(AmendmentCosignature.member_id == militant.member_id)
    other = next(
        a
        for a in db.session.scalars(
            sa.select(Amendment)
            .where(Amendment.convention_id == demo_convention.id, Amendment.id.not_in(signed))
            .order_by(Amendment.number)
        )
        if a.can_cosign(militant, dt.date.today())
    )
    before = other.cosignature_count
    response = client.post(f"/amendements/{other.id}/cosigner")
    assert response.status_code == 302, page_text(response)[:2000]
    db.session.expire_all()
    assert db.session.get(Amendment, other.id).cosignature_count == before + 1


def test_the_pilot_examines_a_contribution_of_their_group(client, ctx):
    demo_convention, _ = conventions()
    group = db.session.scalar(
        sa.select(WorkingGroup).where(WorkingGroup.convention_id == demo_convention.id, WorkingGroup.number == 1)
    )
    contribution = db.session.scalars(
        sa.select(Contribution)
        .where(Contribution.working_group_id == group.id, Contribution.status == ContributionStatus.SUBMITTED)
        .order_by(Contribution.number)
    ).first()
    assert contribution is not None
    log_in(client, "pilote")
    assert contribution.title in page_text(client.get("/contributions/a-examiner"))
    response = client.post(f"/contributions/{contribution.id}/examen")
    assert response.status_code == 302, page_text(response)[:2000]
    response = client.post(
        f"/contributions/{contribution.id}/decision",
        data={"status": "partially_integrated", "answer": "Reprise en partie dans le chapitre sur la proximité."},
    )
    assert response.status_code == 302, page_text(response)[:2000]
    db.session.expire_all()
    done = db.session.get(Contribution, contribution.id)
    assert done.status == ContributionStatus.PARTIALLY_INTEGRATED and done.decided_by_id == user("pilote").id


@pytest.mark.parametrize("key", ["comite", "bn"])
def test_the_committee_and_the_bureau_review_an_amendment(client, ctx, key):
    demo_convention, _ = conventions()
    amendment = db.session.scalars(
        sa.select(Amendment)
        .where(
            Amendment.convention_id == demo_convention.id,
            Amendment.status == AmendmentStatus.SUBMITTED,
            Amendment.section_id.is_not(None),  # a unit's amendment needs no co-signature
        )
        .order_by(Amendment.number.desc())
    ).first()
    log_in(client, key)
    assert client.get(f"/amendements/{amendment.id}/examen").status_code == 200
    response = client.post(
        f"/amendements/{amendment.id}/examen?etape=recevabilite",
        data={"recevabilite-admissible": "recevable", "recevabilite-reason": "Porte sur le texte soumis."},
    )
    assert response.status_code == 302, page_text(response)[:2000]
    db.session.expire_all()
    reviewed = db.session.get(Amendment, amendment.id)
    assert reviewed.status == AmendmentStatus.ADMISSIBLE and reviewed.admissibility_dt is not None


def test_the_section_secretary_marks_a_paper_voter(client, ctx):
    demo_convention, _ = conventions()
    poll = db.session.scalar(sa.select(Poll).where(Poll.convention_id == demo_convention.id, Poll.title == OPEN_TITLE))
    grenoble = db.session.scalar(
        sa.select(Section).join(Section.federation).where(Federation.code == "38", Section.name == "Grenoble")
    )
    voted = sa.select(Participation.member_id).where(Participation.poll_id == poll.id)
    voter = db.session.scalar(
        sa.select(RollEntry.member_id)
        .where(RollEntry.poll_id == poll.id, RollEntry.section_id == grenoble.id, RollEntry.member_id.not_in(voted))
        .order_by(RollEntry.member_id)
    )
    assert voter is not None, "nobody of Grenoble left to vote on the demo's open vote"
    base = f"/vote/{poll.id}/papier/section/{grenoble.id}"
    log_in(client, "section")
    assert client.get(base).status_code == 200
    response = client.post(f"{base}/ouvrir", data={"confirm": "y"})
    assert response.status_code == 302, page_text(response)[:2000]
    response = client.post(f"{base}/emarger", data={"member_id": voter})
    assert response.status_code == 302, page_text(response)[:2000]
    db.session.expire_all()
    marked = db.session.scalar(
        sa.select(Participation).where(Participation.poll_id == poll.id, Participation.member_id == voter)
    )
    assert marked is not None and marked.channel.value == "paper"


def test_the_federation_secretary_creates_a_federal_meeting(client, ctx):
    demo_convention, archive = conventions()
    isere = db.session.scalar(sa.select(Federation).where(Federation.code == "38"))
    day = dt.date.today() + dt.timedelta(days=12)
    log_in(client, "federation")
    form = page_text(client.get("/calendrier/nouveau"))
    assert re.search(r'<option selected value="federation_meeting">', form)
    response = client.post(
        "/calendrier/nouveau",
        data={
            "kind": "federation_meeting", "title": "Rencontre fédérale : nos amendements", "description": "",
            "day": day.isoformat(), "start_time": "18:30", "end_time": "20:30", "place": "Grenoble",
            "online_url": "", "federation": str(isere.id), "capacity": "50", "hosts": "", "experts": "",
        },
    )  # fmt: skip
    assert response.status_code == 302, page_text(response)[:2000]
    meeting = db.session.scalar(sa.select(Event).where(Event.title == "Rencontre fédérale : nos amendements"))
    assert meeting.convention_id == demo_convention.id != archive.id
    assert meeting.kind == EventKind.FEDERATION_MEETING and meeting.federation_id == isere.id


def test_the_bureau_national_changes_the_phase(client, ctx):
    demo_convention, archive = conventions()
    log_in(client, "bn2")
    response = client.post("/administration/phase-en-cours", data={"phase": "national_bureau", "confirm": "y"})
    assert response.status_code == 302, page_text(response)[:2000]
    db.session.expire_all()
    assert db.session.get(Convention, demo_convention.id).phase_override == PhaseKind.NATIONAL_BUREAU
    assert db.session.get(Convention, archive.id).phase_override is None
    # Back to the dates: the amendment phase is open again for the others.
    response = client.post("/administration/phase-en-cours", data={"phase": "", "confirm": "y"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Convention, demo_convention.id).phase_override is None


def test_the_roles_hold_in_the_demo_and_the_archive_got_no_demo_data(ctx):
    demo_convention, archive = conventions()
    group = db.session.scalar(
        sa.select(WorkingGroup).where(WorkingGroup.convention_id == demo_convention.id, WorkingGroup.number == 1)
    )
    assert user("pilote").has_role(Role.PILOT, working_group_id=group.id)
    assert user("comite").has_role(Role.COMMITTEE, convention_id=demo_convention.id)
    assert not user("comite").has_role(Role.COMMITTEE, convention_id=archive.id)
    for model in (Amendment, Poll):
        assert not db.session.scalar(sa.select(sa.func.count()).select_from(model).where(model.convention_id == archive.id))
    assert db.session.scalar(
        sa.select(sa.func.count()).select_from(Member).where(Member.email.like("demo.%"))
    ) == 7


def test_the_archive_contributions_say_their_date_is_unknown(client, ctx):
    demo_convention, archive = conventions()
    historical = db.session.scalars(
        sa.select(Contribution).where(Contribution.convention_id == archive.id).order_by(Contribution.number)
    ).all()
    assert [c.number for c in historical] == sorted({c.number for c in historical})  # one series, no repeat
    by_email = next(c for c in historical if c.channel.value == "email")
    page = page_text(client.get(f"/c/{ARCHIVE_SLUG}/contributions/{by_email.id}"))
    assert f"n° {by_email.number}" in page and by_email.number > 26
    assert "Date inconnue, pendant la phase des contributions (du 1er septembre 2023 au 31 décembre 2024)" in page
    assert "Reçue le" not in page
    dated = db.session.scalars(sa.select(Contribution).where(Contribution.convention_id == demo_convention.id)).first()
    assert "Reçue le" in page_text(client.get(f"/contributions/{dated.id}"))
