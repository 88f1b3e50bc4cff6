"""Permissions are scoped per convention: the matrix across two conventions, through HTTP.

Two published conventions, A (featured) and B, each with working group 1 (its chapter I-1 of the
text assigned to it), an event of that group, a federation meeting of Isère, a contribution to the
group, a contribution of the Grenoble section, an amendment and an open poll with the paper vote.
Rows: anonymous, a member, the pilot of A's group 1, a member of A's steering committee, the
secretary of the Grenoble section, the first secretary of Isère, the Bureau national. Each cell
(role × convention) runs every action on that convention's pages and checks the answer and, when
the action is refused, that nothing changed.

What it asserts: a pilot or a committee member of A has no moderating or reviewing right in B; the
Bureau national has them everywhere; the secretaries' unit rights (their unit's paper vote, their
federation's meetings, their section's contributions) hold in every convention, for their unit only.
And an object of one convention is never served or changed under another convention's pages.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

import pytest
import sqlalchemy as sa

from convention.amendments import operations as amendment_ops
from convention.amendments.models import Amendment, ChapterAssignment
from convention.calendar.models import Event, EventKind, EventRegistration
from convention.contributions.models import Channel, Contribution
from convention.conventions.models import Convention, Phase
from convention.core.db import utcnow
from convention.domain.amendments import AmendmentStatus
from convention.domain.lifecycle import ContributionStatus
from convention.domain.phases import PhaseKind
from convention.domain.roles import Role
from convention.extensions import db
from convention.members.models import User
from convention.texts.models import Block, Text
from convention.texts.operations import write_text_version
from convention.votes import operations as vote_ops
from convention.votes.models import Poll
from tests.amendment_fixtures import PARTS, phase_dates
from tests.auth_fixtures import make_federation, make_group, make_member, make_section, make_user

PAID = dt.date(2099, 12, 31)
ROLES = (
    "anonymous",
    "member",
    "pilot_a",
    "committee_a",
    "section_secretary",
    "federation_secretary",
    "national_bureau",
)
SLUGS = {"A": "alpha", "B": "beta"}
CELLS = [(role, key) for role in ROLES for key in SLUGS]


@dataclass
class Side:
    """What one convention holds (ids, so that they survive the requests' sessions)."""

    convention_id: int
    slug: str
    group_id: int
    event_id: int
    federation_meeting_id: int
    contribution_id: int
    unit_contribution_id: int
    amendment_id: int
    poll_id: int
    version_id: int


@dataclass
class World:
    sides: dict[str, Side] = field(default_factory=dict)
    users: dict[str, int] = field(default_factory=dict)
    grenoble_id: int = 0
    lyon_id: int = 0
    isere_id: int = 0


def _convention(slug: str, title: str, *, featured: bool) -> Convention:
    convention = Convention(
        slug=slug,
        title=title,
        short_title=title,
        phase_override=PhaseKind.AMENDMENTS,
        is_featured=featured,
        published_dt=utcnow() - dt.timedelta(days=1),
        amendment_cosignatures_required=0,
    )
    for position, (kind, starts_on, ends_on) in enumerate(phase_dates()):
        convention.phases.append(Phase(kind=kind, position=position, starts_on=starts_on, ends_on=ends_on))
    db.session.add(convention)
    db.session.flush()
    return convention


def build_world() -> World:
    """Two conventions side by side, one account per role. Commits."""
    world = World()
    isere, rhone = make_federation("38", "Isère"), make_federation("69", "Rhône")
    grenoble, lyon = make_section(isere, "Grenoble"), make_section(rhone, "Lyon")
    world.grenoble_id, world.lyon_id, world.isere_id = grenoble.id, lyon.id, isere.id
    conventions = {
        "A": _convention("alpha", "Convention Alpha", featured=True),
        "B": _convention("beta", "Convention Bêta", featured=False),
    }
    groups = {key: make_group(convention, 1) for key, convention in conventions.items()}

    def account(key, *roles, section=grenoble):
        member = make_member(section, key.replace("_", " ").title(), "Testeur", email=f"{key}@exemple.fr",
                             dues_paid_until=PAID)  # fmt: skip
        user = make_user(member=member, roles=roles, display_name=key)
        world.users[key] = user.id
        return user

    account("member")
    account("pilot_a", (Role.PILOT, groups["A"]))
    account("committee_a", (Role.COMMITTEE, conventions["A"]))
    account("section_secretary", (Role.SECTION_SECRETARY, grenoble))
    account("federation_secretary", (Role.FEDERATION_SECRETARY, isere))
    bureau = account("national_bureau", (Role.NATIONAL_BUREAU, None))
    author = account("author", section=lyon)
    now = utcnow()
    for key, convention in conventions.items():
        group = groups[key]
        text = Text(convention_id=convention.id, slug="texte", title=f"Texte {key}")
        version = write_text_version(text, PARTS, label="Projet", line_length=80)
        db.session.add(ChapterAssignment(convention_id=convention.id, chapter_anchor="I-1", working_group_id=group.id))
        event = Event(convention_id=convention.id, kind=EventKind.WORKING_GROUP, title=f"Réunion du groupe {key}",
                      starts_dt=now + dt.timedelta(days=7))  # fmt: skip
        event.working_groups.append(group)
        meeting = Event(convention_id=convention.id, kind=EventKind.FEDERATION_MEETING,
                        title=f"Rencontre fédérale {key}", federation_id=isere.id,
                        starts_dt=now + dt.timedelta(days=8))  # fmt: skip
        contribution = Contribution(convention_id=convention.id, working_group_id=group.id,
                                    channel=Channel.PLATFORM, number=1, title=f"Contribution {key}",
                                    body="Un texte.", author_member_id=author.member_id,
                                    submitted_by_id=author.id)  # fmt: skip
        unit_contribution = Contribution(convention_id=convention.id, working_group_id=group.id,
                                         channel=Channel.PLATFORM, number=2, title=f"Contribution de section {key}",
                                         body="Un texte.", section_id=grenoble.id,
                                         submitted_by_id=world.users["section_secretary"])  # fmt: skip
        db.session.add_all([event, meeting, contribution, unit_contribution])
        db.session.flush()
        block = db.session.scalars(
            sa.select(Block).where(Block.version_id == version.id, Block.anchor == "I-1-1")
        ).one()
        amendment = amendment_ops.submit_amendment(
            author, convention, version, block,
            amendment_ops.AmendmentData(
                requested=amendment_ops.RequestedKind.EDIT,
                edited=block.text.replace("dès l'école", "dès la crèche", 1),
                rationale="Parce que la prévention est l'affaire de tous.",
            ),
            today=dt.date.today(),
        )  # fmt: skip
        poll = vote_ops.create_poll(
            bureau, convention,
            vote_ops.PollData(title=f"Vote {key}", question="Approuvez-vous le texte ?",
                              opens_at=now - dt.timedelta(hours=1), closes_at=now + dt.timedelta(days=2),
                              roll_cutoff=dt.date(2030, 1, 1), text_version_id=version.id),
        )  # fmt: skip
        assert vote_ops.open_poll(bureau, poll)
        world.sides[key] = Side(convention.id, convention.slug, group.id, event.id, meeting.id, contribution.id,
                                unit_contribution.id, amendment.id, poll.id, version.id)  # fmt: skip
    db.session.commit()
    return world


def log_in(client, user_id: int) -> None:
    user = db.session.get(User, user_id)
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True


def fresh(model, ident):
    db.session.expire_all()
    return db.session.get(model, ident)


def _to_login(response) -> bool:
    return response.status_code == 302 and "/compte/connexion" in response.headers["Location"]


def expect(response, allowed: bool, role: str, *, ok=(200,)) -> None:
    """The answer of an action for ``role``: ``ok`` when allowed, else 403 (the login page for the anonymous)."""
    body = response.get_data(as_text=True)[:300]
    if allowed:
        assert response.status_code in ok, (response.status_code, body)
    elif role == "anonymous":
        assert _to_login(response), (response.status_code, response.headers.get("Location"))
    else:
        assert response.status_code == 403, (response.status_code, body)


@pytest.fixture()
def world(database):
    return build_world()


# --- the matrix -------------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "key"), CELLS)
def test_matrix(client, world, role, key):
    side = world.sides[key]
    base = f"/c/{side.slug}"
    if role != "anonymous":
        log_in(client, world.users[role])
    in_a = key == "A"
    bureau = role == "national_bureau"
    moderator = bureau or (in_a and role in ("pilot_a", "committee_a"))  # group 1's pilot, the committee
    steering = bureau or (in_a and role == "committee_a")

    # Everyone reads the convention's contribution; anyone reviews only where they hold the role.
    assert client.get(f"{base}/contributions/{side.contribution_id}").status_code == 200
    expect(client.get(f"{base}/contributions/a-examiner"), moderator, role)
    response = client.post(f"{base}/contributions/{side.contribution_id}/examen")
    expect(response, moderator, role, ok=(302,))
    status = fresh(Contribution, side.contribution_id).status
    assert status == (ContributionStatus.UNDER_REVIEW if moderator else ContributionStatus.SUBMITTED)

    # The group's event: its pilot, the committee, the Bureau national.
    expect(client.get(f"{base}/calendrier/{side.event_id}/modifier"), moderator, role)
    expect(client.get(f"{base}/calendrier/{side.event_id}/inscrits"), moderator, role)
    # A federation meeting of Isère: its first secretary in every convention (and the committee, the Bureau).
    federation_organiser = steering or role == "federation_secretary"
    expect(client.get(f"{base}/calendrier/{side.federation_meeting_id}/modifier"), federation_organiser, role)
    title = fresh(Event, side.event_id).title
    response = client.post(
        f"{base}/calendrier/{side.event_id}/modifier", data={"title": "Changé", "kind": "working_group"}
    )
    if not moderator:
        expect(response, False, role)
        assert fresh(Event, side.event_id).title == title

    # The amendment of chapter I-1 (assigned to group 1): reviewed by its pilots and the committee.
    expect(client.get(f"{base}/amendements/{side.amendment_id}/examen"), moderator, role)
    expect(client.get(f"{base}/amendements/examen/"), moderator, role)
    response = client.post(
        f"{base}/amendements/{side.amendment_id}/examen?etape=recevabilite",
        data={"recevabilite-admissible": "irrecevable", "recevabilite-reason": "Hors du sujet du chapitre."},
    )
    expect(response, moderator, role, ok=(302,))
    status = fresh(Amendment, side.amendment_id).status
    assert status == (AmendmentStatus.INADMISSIBLE if moderator else AmendmentStatus.SUBMITTED)
    # The chapters' assignment is the committee's.
    expect(client.get(f"{base}/amendements/examen/repartition"), steering, role)

    # The paper vote: each secretary for their own unit, in every convention; the Bureau everywhere.
    grenoble = f"{base}/vote/{side.poll_id}/papier/section/{world.grenoble_id}"
    lyon = f"{base}/vote/{side.poll_id}/papier/section/{world.lyon_id}"
    isere = f"{base}/vote/{side.poll_id}/papier/federation/{world.isere_id}"
    expect(client.get(grenoble), bureau or role in ("section_secretary", "federation_secretary"), role)
    expect(client.get(lyon), bureau, role)
    expect(client.get(isere), bureau or role == "federation_secretary", role)
    response = client.post(f"{grenoble}/ouvrir", data={"confirm": "y"})
    if role != "section_secretary":
        expect(response, False, role)
    # Managing the poll's roll: the Bureau national only.
    expect(client.get(f"{base}/vote/{side.poll_id}/liste-electorale/numeros.txt"), bureau, role)

    # A section's contribution: its secretary speaks for it in every convention.
    expect(client.get(f"{base}/contributions/{side.unit_contribution_id}/retirer"), role == "section_secretary", role)


@pytest.mark.parametrize("role", ["pilot_a", "committee_a"])
def test_a_role_of_a_does_not_show_the_review_links_in_b(client, world, role):
    log_in(client, world.users[role])
    page_a = client.get("/c/alpha/contributions/").get_data(as_text=True)
    page_b = client.get("/c/beta/contributions/").get_data(as_text=True)
    assert "a-examiner" in page_a
    assert "a-examiner" not in page_b


# --- one convention's objects under the other's pages -------------------------------------------


def test_another_conventions_objects_are_never_served_nor_changed_under_b(client, world):
    a, b = world.sides["A"], world.sides["B"]
    log_in(client, world.users["national_bureau"])  # may do everything: only the scoping stops it
    pages = [
        f"/contributions/{a.contribution_id}",
        f"/calendrier/{a.event_id}",
        f"/calendrier/{a.event_id}/modifier",
        f"/calendrier/{a.event_id}.ics",
        f"/amendements/{a.amendment_id}",
        f"/amendements/{a.amendment_id}/examen",
        f"/vote/{a.poll_id}/resultats",
        f"/vote/{a.poll_id}/liste-electorale",
        f"/vote/{a.poll_id}/papier/section/{world.grenoble_id}",
        f"/provenance/auditions/{a.event_id}",
    ]
    for page in pages:
        response = client.get(f"/c/{b.slug}{page}")
        # Never B's page showing A's object: a 404, or the redirect to A's own page.
        assert response.status_code in (301, 404), (page, response.status_code)
        if response.status_code == 301:
            assert f"/c/{b.slug}/" not in response.headers["Location"], page
    actions = [
        (f"/contributions/{a.contribution_id}/examen", {}),
        (f"/amendements/{a.amendment_id}/examen?etape=recevabilite",
         {"recevabilite-admissible": "irrecevable", "recevabilite-reason": "Hors sujet."}),
        (f"/calendrier/{a.event_id}/inscription", {}),
    ]  # fmt: skip
    for path, data in actions:
        response = client.post(f"/c/{b.slug}{path}", data=data)
        assert response.status_code in (308, 404), (path, response.status_code)
    assert fresh(Contribution, a.contribution_id).status == ContributionStatus.SUBMITTED
    assert fresh(Amendment, a.amendment_id).status == AmendmentStatus.SUBMITTED
    assert not db.session.scalars(sa.select(EventRegistration).where(EventRegistration.event_id == a.event_id)).all()


def test_the_queue_of_b_lists_only_bs_contributions(client, world):
    log_in(client, world.users["national_bureau"])
    page = client.get("/c/beta/contributions/a-examiner").get_data(as_text=True)
    assert "Contribution B" in page and "Contribution A" not in page


def test_a_form_of_b_does_not_take_a_group_of_a(client, world):
    """The chapters' assignment of B refuses a working group of A (400, nothing written)."""
    a, b = world.sides["A"], world.sides["B"]
    log_in(client, world.users["national_bureau"])
    response = client.post(
        "/c/beta/amendements/examen/repartition",
        data={"chapitre-I-1": str(a.group_id), "cosignatures_required": "0"},
    )
    assert response.status_code == 400
    rows = db.session.scalars(sa.select(ChapterAssignment).where(ChapterAssignment.convention_id == b.convention_id))
    assert {(r.chapter_anchor, r.working_group_id) for r in rows} == {("I-1", b.group_id)}


def test_a_poll_of_b_cannot_put_a_text_of_a_to_the_vote(world):
    a, b = world.sides["A"], world.sides["B"]
    bureau = db.session.get(User, world.users["national_bureau"])
    convention_b = db.session.get(Convention, b.convention_id)
    now = utcnow()
    data = vote_ops.PollData(title="Vote", question="Approuvez-vous ?", opens_at=now + dt.timedelta(days=1),
                             closes_at=now + dt.timedelta(days=2), roll_cutoff=dt.date(2030, 1, 1),
                             text_version_id=a.version_id)  # fmt: skip
    before = db.session.scalar(sa.select(sa.func.count()).select_from(Poll))
    with pytest.raises(vote_ops.PollError, match="texte de cette convention"):
        vote_ops.create_poll(bureau, convention_b, data)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Poll)) == before
    from convention.votes.queries import list_text_version_choices

    assert [vid for vid, _label in list_text_version_choices(b.convention_id)] == [b.version_id]


# --- the roles themselves ----------------------------------------------------------------------


def test_has_role_binds_pilots_and_committees_to_their_convention(world):
    a, b = world.sides["A"], world.sides["B"]
    users = {key: db.session.get(User, uid) for key, uid in world.users.items()}
    assert users["pilot_a"].has_role(Role.PILOT, convention_id=a.convention_id)
    assert not users["pilot_a"].has_role(Role.PILOT, convention_id=b.convention_id)
    assert users["committee_a"].has_role(Role.COMMITTEE, convention_id=a.convention_id)
    assert not users["committee_a"].has_role(Role.COMMITTEE, convention_id=b.convention_id)
    # Shared units and the Bureau national: every convention.
    for side in (a, b):
        assert users["section_secretary"].has_role(Role.SECTION_SECRETARY, convention_id=side.convention_id)
        assert users["national_bureau"].has_role(Role.NATIONAL_BUREAU, convention_id=side.convention_id)
    # A committee role that names no convention counts in none.
    from convention.members.models import RoleAssignment

    stray = make_user("stray@exemple.fr", display_name="Sans convention")
    db.session.add(RoleAssignment(user=stray, role=Role.COMMITTEE))
    db.session.flush()
    assert not stray.has_role(Role.COMMITTEE, convention_id=a.convention_id)
    assert not db.session.get(Convention, a.convention_id).is_steering(stray)
    db.session.rollback()


def test_search_in_b_finds_only_bs_pages_and_links_them_under_b(client, world):
    from convention.search import indexing

    for side in world.sides.values():
        indexing.index_text(db.session.scalars(sa.select(Text).where(Text.convention_id == side.convention_id)).one())
        indexing.index_contribution(db.session.get(Contribution, side.contribution_id))
    db.session.commit()
    html = client.get("/c/beta/recherche/?q=prévention").get_data(as_text=True)
    links = re.findall(r'<h2 class="search-title h5"><a href="([^"]+)">', html)
    assert links and all(link.startswith("/c/beta/") for link in links), links
    html = client.get("/c/beta/recherche/?q=contribution&type=contributions").get_data(as_text=True)
    assert "Contribution B" in html and "Contribution A" not in html
    html = client.get("/recherche/?q=contribution&type=contributions").get_data(as_text=True)  # A is featured
    assert "Contribution A" in html and "Contribution B" not in html
    assert f'href="/contributions/{world.sides["A"].contribution_id}"' in html


def test_the_calendar_of_b_subscribes_to_bs_feed_only(client, world):
    html = client.get("/c/beta/calendrier/").get_data(as_text=True)
    assert "Réunion du groupe B" in html and "Réunion du groupe A" not in html
    feeds = re.findall(r'href="([^"]*events\.ics)"', html)
    assert feeds, "no iCalendar link on the calendar page"
    for feed in feeds:
        body = client.get(feed).get_data(as_text=True)
        assert "BEGIN:VCALENDAR" in body, feed
        assert "Réunion du groupe B" in body and "Réunion du groupe A" not in body, feed
    single = client.get(f"/c/beta/calendrier/{world.sides['B'].event_id}.ics").get_data(as_text=True)
    assert "Réunion du groupe B" in single


def test_the_secretarys_vote_links_go_to_each_polls_own_convention(client, world):
    log_in(client, world.users["section_secretary"])
    html = client.get("/compte/").get_data(as_text=True)
    a, b = world.sides["A"], world.sides["B"]
    assert f'href="/vote/{a.poll_id}/papier/section/{world.grenoble_id}"' in html  # A is featured: short path
    assert f'href="/c/beta/vote/{b.poll_id}/papier/section/{world.grenoble_id}"' in html


def test_a_discussion_of_a_is_not_merged_under_b(client, world):
    """A « discussion commune » (a row without convention) is checked through its text."""
    from convention.amendments.models import AmendmentCluster

    a = world.sides["A"]
    cluster_id = fresh(Amendment, a.amendment_id).cluster_id
    if cluster_id is None:
        cluster = AmendmentCluster(text_id=fresh(Amendment, a.amendment_id).text_id, block_anchor="I-1-1")
        db.session.add(cluster)
        db.session.flush()
        fresh(Amendment, a.amendment_id).cluster_id = cluster_id = cluster.id
        db.session.commit()
    log_in(client, world.users["national_bureau"])
    assert client.get(f"/c/alpha/amendements/discussion/{cluster_id}/synthese").status_code == 200
    response = client.get(f"/c/beta/amendements/discussion/{cluster_id}/synthese")
    assert response.status_code in (301, 404)
    if response.status_code == 301:
        assert "/c/beta/" not in response.headers["Location"]
    before = db.session.scalar(sa.select(sa.func.count()).select_from(Amendment))
    response = client.post(
        f"/c/beta/amendements/discussion/{cluster_id}/synthese",
        data={"merged": [str(a.amendment_id)], "edited": "Autre texte.", "rationale": "Synthèse."},
    )
    assert response.status_code in (308, 404)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Amendment)) == before


def test_an_event_of_b_takes_only_bs_groups(client, world):
    a, b = world.sides["A"], world.sides["B"]
    log_in(client, world.users["national_bureau"])
    day = (dt.date.today() + dt.timedelta(days=20)).isoformat()

    def post(group_id, title):
        return client.post("/c/beta/calendrier/nouveau", data={
            "kind": EventKind.WORKING_GROUP.value, "title": title, "day": day, "is_all_day": "y",
            "federation": "0", "working_groups": [str(group_id)],
        })  # fmt: skip

    def titled(title):
        return db.session.scalars(sa.select(Event).where(Event.title == title)).all()

    refused = post(a.group_id, "Réunion avec le groupe d'Alpha")
    assert refused.status_code == 200  # the form again, with its error
    assert titled("Réunion avec le groupe d'Alpha") == []
    accepted = post(b.group_id, "Réunion du groupe de Bêta")
    assert accepted.status_code == 302, accepted.get_data(as_text=True)[:500]
    (created,) = titled("Réunion du groupe de Bêta")
    assert created.convention_id == b.convention_id
    assert [g.id for g in created.working_groups] == [b.group_id]


def test_a_contribution_to_b_goes_only_to_bs_groups(client, world):
    a, b = world.sides["A"], world.sides["B"]
    db.session.get(Convention, b.convention_id).phase_override = PhaseKind.CONTRIBUTIONS
    db.session.commit()
    log_in(client, world.users["member"])

    def post(group_id, title):
        return client.post(
            "/c/beta/contributions/deposer", data={"title": title, "body": "Le texte.", "working_group": str(group_id)}
        )

    def titled(title):
        return db.session.scalars(sa.select(Contribution).where(Contribution.title == title)).all()

    assert post(a.group_id, "Vers le groupe d'Alpha").status_code == 200  # the form again, with its error
    assert titled("Vers le groupe d'Alpha") == []
    assert post(b.group_id, "Vers le groupe de Bêta").status_code == 302
    (created,) = titled("Vers le groupe de Bêta")
    assert (created.convention_id, created.working_group_id) == (b.convention_id, b.group_id)


def test_an_archived_convention_takes_no_federal_meeting_from_a_secretary(client, world):
    """The federation secretary's rights hold in every running convention; a finished one's calendar is a record."""
    beta = fresh(Convention, world.sides["B"].convention_id)
    beta.phase_override = PhaseKind.ADOPTED_TEXT
    db.session.commit()
    before = db.session.scalar(sa.select(sa.func.count(Event.id)))
    log_in(client, world.users["federation_secretary"])
    assert client.get("/c/beta/calendrier/nouveau").status_code == 403
    assert client.get("/calendrier/nouveau").status_code == 200  # A is running: its federal meetings
    log_in(client, world.users["national_bureau"])
    assert client.get("/c/beta/calendrier/nouveau").status_code == 200
    assert db.session.scalar(sa.select(sa.func.count(Event.id))) == before


def test_old_api_links_to_another_conventions_rows_follow_it(client, world):
    """``/api/v1/amendments/<id>`` of B (not featured) leads to B's path; a path naming A stays a 404."""
    beta = world.sides["B"]
    for short, nested in (
        (f"/api/v1/amendments/{beta.amendment_id}", f"/api/v1/conventions/beta/amendments/{beta.amendment_id}"),
        (f"/api/v1/polls/{beta.poll_id}", f"/api/v1/conventions/beta/polls/{beta.poll_id}"),
    ):
        response = client.get(short)
        assert response.status_code == 308 and response.headers["Location"] == nested
        assert client.get(nested).status_code == 200
        assert client.get(nested.replace("/beta/", "/alpha/")).status_code == 404
        assert client.get(short + "?convention=alpha").status_code == 404
