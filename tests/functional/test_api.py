"""The public read API under /api/v1: shapes, pagination, errors in JSON, OpenAPI, no N+1."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import event as sa_event

from convention.calendar.models import Event, EventKind, EventPerson, EventPersonRole
from convention.contributions.models import Channel, Contribution
from convention.conventions.models import Convention, Phase
from convention.domain.lifecycle import ContributionStatus
from convention.domain.phases import PhaseKind
from convention.groups.models import Person, WorkingGroup, WorkingGroupAnimator
from convention.members.models import Federation
from convention.texts.models import Text, VersionStatus
from convention.texts.operations import write_text_version
from seed.records import BlockRecord, ChapterRecord, PartRecord
from tests.convention_fixtures import PUBLISHED  # conventions made here are published

API = "/api/v1"
PATHS = [
    "/api/v1/convention",
    "/api/v1/working-groups",
    "/api/v1/events",
    "/api/v1/contributions",
    "/api/v1/texts",
    "/api/v1/texts/{text_id}",
    "/api/v1/texts/{text_id}/versions/{number}",
    "/api/v1/texts/{text_id}/diff",
    "/api/v1/events.ics",
    "/api/v1/working-groups/{group_id}/events.ics",
    "/api/v1/search",
    "/api/v1/amendments",
    "/api/v1/amendments/{amendment_id}",
    "/api/v1/polls",
    "/api/v1/polls/{poll_id}",
    "/api/v1/polls/{poll_id}/results",
]
# Each convention's data again under its slug, and the list of conventions (no query arguments).
SCOPED_PATHS = PATHS + [p.replace(API, f"{API}/conventions/{{convention_slug}}", 1) for p in PATHS]
CONVENTIONS_PATHS = ["/api/v1/conventions", "/api/v1/conventions/{slug}"]
PATHS = SCOPED_PATHS + CONVENTIONS_PATHS
LISTS = ["/working-groups", "/events", "/contributions", "/texts"]

PARTS = (
    PartRecord(
        "I",
        "Une police républicaine",
        (
            ChapterRecord(
                "1",
                "Fidéliser",
                (
                    BlockRecord("paragraph", "Les socialistes proposent :"),
                    BlockRecord("proposal", "Assurer une juste rémunération."),
                    BlockRecord("recommendation", "Réorienter les politiques publiques.", "1"),
                ),
            ),
        ),
    ),
)


def build(db, *, groups: int = 3, events: int = 4, contributions: int = 5) -> dict:
    """A small convention with everything the API shows."""
    convention = Convention(
        published_dt=PUBLISHED,
        slug="securite",
        title="Convention sécurité et prévention de la délinquance",
        short_title="Sécurité",
        initiator="Olivier Faure",
    )
    convention.phases = [
        Phase(kind=PhaseKind.WORKING_GROUPS, position=1, starts_on=dt.date(2024, 1, 15),
              ends_on=dt.date(2024, 6, 30)),
        Phase(kind=PhaseKind.ADOPTED_TEXT, position=2, starts_on=dt.date(2025, 1, 1), ends_on=None),
    ]  # fmt: skip
    other = Convention(published_dt=PUBLISHED, slug="autre", title="Autre convention", short_title="Autre")
    db.session.add_all([convention, other])
    db.session.flush()
    vicot = Person(full_name="Roger VICOT", first_name="Roger", last_name="Vicot", titles="Député")
    expert = Person(full_name="Jean EXPERT", first_name="Jean", last_name="Expert")
    db.session.add_all([vicot, expert])
    wgs = []
    for number in range(1, groups + 1):
        wg = WorkingGroup(convention_id=convention.id, number=number, title=f"Groupe {number}")
        wg.animators = [WorkingGroupAnimator(person=vicot, position=0)]
        wgs.append(wg)
    db.session.add_all(wgs)
    isere = Federation(code="38", name="Isère", title="Fédération de l'Isère")
    db.session.add(isere)
    for index in range(events):
        ev = Event(
            convention_id=convention.id,
            kind=EventKind.HEARING,
            title=f"Audition {index + 1}",
            description="Une audition.",
            starts_dt=Event.local_midnight(dt.date(2024, 3, 12) + dt.timedelta(days=index)),
            is_all_day=True,
            place="Paris",
            position=index,
        )
        ev.participants = [
            EventPerson(person=vicot, role=EventPersonRole.HOST, position=0),
            EventPerson(person=expert, role=EventPersonRole.EXPERT, position=1),
        ]
        ev.working_groups = wgs[:2]
        db.session.add(ev)
    for index in range(contributions):
        db.session.add(
            Contribution(
                convention_id=convention.id,
                channel=Channel.PLATFORM,
                number=index + 1,
                title=f"Contribution {index + 1}",
                author_name="Christian Mazé",
                federation=isere if index == 0 else None,
                working_group=wgs[0] if index == 0 else None,
                status=ContributionStatus.SUBMITTED,
            )
        )
    text = Text(convention_id=convention.id, slug="texte", title="Projet de texte")
    write_text_version(text, PARTS, label="Projet", line_length=80)
    amended = (
        PartRecord(
            "I",
            "Partie amendée",
            (ChapterRecord("1", "Un", (BlockRecord("paragraph", "Amendé."),)),),
        ),
    )
    write_text_version(
        text, amended, label="Texte amendé", status=VersionStatus.AMENDED, line_length=80
    )
    db.session.commit()
    return {"convention": convention, "text": text}


@pytest.fixture()
def data(database):
    return build(database)


def test_convention(client, data):
    response = client.get(f"{API}/convention")
    assert response.status_code == 200 and response.is_json
    body = response.get_json()
    assert body["slug"] == "securite" and body["initiator"] == "Olivier Faure"
    assert body["short_title"] == "Sécurité"
    assert body["phases"] == [
        {"kind": "working_groups", "label": "Groupes de travail",
         "starts_on": "2024-01-15", "ends_on": "2024-06-30"},
        {"kind": "adopted_text", "label": "Texte adopté",
         "starts_on": "2025-01-01", "ends_on": None},
    ]  # fmt: skip
    assert body["current_phase"] == "adopted_text"  # today is after 2025-01-01
    other = client.get(f"{API}/convention?convention=autre").get_json()
    assert other["slug"] == "autre" and other["phases"] == [] and other["current_phase"] is None


def test_working_groups(client, data):
    body = client.get(f"{API}/working-groups").get_json()
    assert body["total"] == 3 and (body["page"], body["per_page"]) == (1, 50)
    first = body["items"][0]
    assert (first["number"], first["title"]) == (1, "Groupe 1")
    assert first["animators"] == [{"name": "Roger Vicot", "titles": "Député"}]


def test_events_are_in_paris_time(client, data):
    body = client.get(f"{API}/events").get_json()
    assert body["total"] == 4
    first = body["items"][0]
    assert first["start"] == "2024-03-12T00:00:00+01:00"
    assert first["all_day"] is True and first["kind"] == "hearing"
    assert first["people"] == ["Roger Vicot"] and first["experts"] == ["Jean Expert"]
    assert first["working_groups"] == [1, 2]
    assert first["end"] is None


def test_contributions(client, data):
    body = client.get(f"{API}/contributions").get_json()
    assert body["total"] == 5
    first = body["items"][0]
    assert first == {
        "id": first["id"],
        "number": 1,
        "channel": "platform",
        "title": "Contribution 1",
        "author_name": "Christian Mazé",
        "unit": "Fédération de l'Isère",
        "status": "submitted",
        "working_group": 1,
        "answer": "",
        "text_links": [],
    }
    assert body["items"][1]["working_group"] is None and body["items"][1]["unit"] == ""


def test_texts_and_versions(client, data):
    body = client.get(f"{API}/texts").get_json()
    assert body["total"] == 1
    (text,) = body["items"]
    assert text["versions"] == [
        {"number": 1, "label": "Projet", "status": "draft"},
        {"number": 2, "label": "Texte amendé", "status": "amended"},
    ]
    current = client.get(f"{API}/texts/{text['id']}").get_json()
    assert current["version"]["number"] == 2
    assert current["version"]["parts"][0]["title"] == "Partie amendée"

    first = client.get(f"{API}/texts/{text['id']}?version=1").get_json()
    version = first["version"]
    assert (version["number"], version["status"], version["line_length"]) == (1, "draft", 80)
    chapter = version["parts"][0]["chapters"][0]
    assert (chapter["id"], chapter["number"], chapter["title"]) == ("I-1", "1", "Fidéliser")
    blocks = chapter["blocks"]
    assert [(b["id"], b["kind"], b["line_start"], b["line_end"]) for b in blocks] == [
        ("I-1-1", "paragraph", 1, 1),
        ("I-1-2", "proposal", 2, 2),
        ("I-1-3", "recommendation", 3, 3),
    ]
    assert [b["reference"] for b in blocks] == [None, "I.1.1", None]
    assert [b["number"] for b in blocks] == [None, None, "1"]
    assert all(isinstance(b["pk"], int) for b in blocks)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("/texts/999999", "Texte introuvable."),
        # An id past what the database stores is refused by the router (no database error).
        ("/texts/99999999999999999999", "La page demandée n'existe pas ou a été déplacée."),
        ("/texts/{id}?version=9", "Version introuvable."),
        ("/convention?convention=inconnue", "Convention introuvable."),
        ("/events?convention=inconnue", "Convention introuvable."),
    ],
)
def test_not_found_is_json(client, data, url, message):
    response = client.get(API + url.format(id=data["text"].id))
    assert response.status_code == 404 and response.is_json
    body = response.get_json()
    assert body["code"] == 404 and body["message"] == message


@pytest.mark.parametrize("path", LISTS)
def test_pagination(client, data, path):
    total = client.get(f"{API}{path}").get_json()["total"]
    assert total >= 1
    seen = []
    for page in range(1, total + 1):
        body = client.get(f"{API}{path}?page={page}&per_page=1").get_json()
        assert body["total"] == total and len(body["items"]) == 1
        seen.append(body["items"][0]["id"])
    assert len(set(seen)) == total  # every item once, in a stable order
    beyond = client.get(f"{API}{path}?page={total + 1}&per_page=1").get_json()
    assert beyond["items"] == [] and beyond["total"] == total
    assert client.get(f"{API}{path}?per_page=1000").status_code == 200


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("per_page=0", "per_page"),
        ("per_page=1001", "per_page"),
        ("page=0", "page"),
        ("page=-3", "page"),
        ("page=abc", "page"),
        ("per_page=", "per_page"),
    ],
)
def test_bad_pagination_is_a_json_422(client, data, query, field):
    response = client.get(f"{API}/contributions?{query}")
    assert response.status_code == 422 and response.is_json
    body = response.get_json()
    assert field in body["errors"]["query"]
    assert body["message"].startswith("Paramètres invalides")


def test_bad_version_is_a_json_422(client, data):
    response = client.get(f"{API}/texts/{data['text'].id}?version=0")
    assert response.status_code == 422 and "version" in response.get_json()["errors"]["query"]


def test_method_not_allowed_keeps_allow_header(client, data):
    response = client.post(f"{API}/texts")
    assert response.status_code == 405 and response.is_json
    assert "GET" in response.headers["Allow"]


def test_unknown_api_path_is_json_but_site_stays_html(client, data):
    response = client.get(f"{API}/nothing-here")
    assert response.status_code == 404 and response.is_json
    site = client.get("/nothing-here")
    assert site.status_code == 404 and site.mimetype == "text/html"


def test_without_any_convention(client, database):
    assert client.get(f"{API}/convention").status_code == 404
    assert client.get(f"{API}/texts").status_code == 404


def test_openapi_document_lists_every_path(client, data):
    response = client.get(f"{API}/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    assert spec["openapi"].startswith("3.")
    api_paths = sorted(p for p in spec["paths"] if p.startswith(API))
    assert api_paths == sorted(PATHS)
    for path in SCOPED_PATHS:
        operation = spec["paths"][path]["get"]
        assert {"200", "404", "422"} <= set(operation["responses"]), path
    params = {p["name"] for p in spec["paths"]["/api/v1/events"]["get"]["parameters"]}
    assert {"page", "per_page", "convention"} <= params


def test_api_needs_no_csrf_and_sets_no_cookie(client, data):
    response = client.get(f"{API}/texts")
    assert "Set-Cookie" not in response.headers


@pytest.mark.parametrize("path", [*LISTS, "/texts/{id}"])
def test_no_n_plus_one(app, client, database, path):
    """The number of queries does not grow with the number of rows."""
    ids = build(database, groups=7, events=30, contributions=40)
    url = API + path.format(id=ids["text"].id) + ("?per_page=1000" if "{id}" not in path else "")
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    engine = database.engine
    sa_event.listen(engine, "before_cursor_execute", count)
    try:
        assert client.get(url).status_code == 200
    finally:
        sa_event.remove(engine, "before_cursor_execute", count)
    assert len(statements) <= 8, statements
