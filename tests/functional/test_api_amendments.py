"""GET /api/v1/amendments and /api/v1/amendments/<id>: shapes, filters, paging, errors, no N+1."""

from __future__ import annotations

import datetime as dt

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from sqlalchemy import event as sa_event

from convention.amendments import operations
from convention.amendments import queries as amendment_queries
from convention.amendments.models import Amendment, AmendmentCosignature
from convention.amendments.operations import AmendmentData, RequestedKind
from convention.domain.amendments import AmendmentKind, AmendmentStatus, Opinion
from convention.domain.phases import PhaseKind
from convention.domain.roles import Role
from convention.texts.models import Text
from convention.texts.operations import write_text_version
from seed.records import BlockRecord, ChapterRecord, PartRecord
from tests.auth_fixtures import make_convention, make_federation, make_member, make_section, make_user

API = "/api/v1"
AMENDMENT_PATHS = ["/api/v1/amendments", "/api/v1/amendments/{amendment_id}"]

PARTS = (
    PartRecord(
        "I",
        "Une police républicaine",
        (
            ChapterRecord(
                "1",
                "Fidéliser",
                (
                    BlockRecord("paragraph", "Les socialistes proposent une police de proximité."),
                    BlockRecord("paragraph", "Les élus de la République décident des priorités."),
                    BlockRecord("proposal", "Assurer une juste rémunération des gardiens de la paix."),
                ),
            ),
            ChapterRecord(
                "2",
                "Former",
                (BlockRecord("paragraph", "La formation initiale dure douze mois."),),
            ),
        ),
    ),
)

COSIGNERS = ("Cosignataire-Zoé", "Cosignataire-Yann")


def _text(db, convention, slug="texte"):
    text = Text(convention_id=convention.id, slug=slug, title="Projet de texte")
    db.session.add(text)
    version = write_text_version(text, PARTS, label="Projet", line_length=80)
    db.session.flush()
    return text, version


def _submit(actor, convention, version, anchor, requested, edited="", **extra):
    block = amendment_queries.find_block(version.id, anchor)
    data = AmendmentData(requested=requested, edited=edited, rationale="Parce que **c'est mieux**.", **extra)
    return operations.submit_amendment(actor, convention, version, block, data, today=dt.date.today())


def _cosign(db, user, amendment) -> None:
    """A co-signature row, as ``cosign_amendment`` stores it.

    ``operations.cosign_amendment`` is not called here: building the co-signature with
    ``amendment=`` (a backref, no cascade in SQLAlchemy 2) raises an SAWarning at the flush of
    its savepoint, fatal under ``filterwarnings = error``.
    """
    db.session.add(AmendmentCosignature(amendment_id=amendment.id, member_id=user.member_id, user_id=user.id))
    db.session.flush()
    amendment.cosignature_count += 1


def build(db) -> dict:
    """A text, six amendments at every stage, and one amendment of another convention."""
    today = dt.date.today()
    convention = make_convention("securite")
    convention.phase_override = PhaseKind.AMENDMENTS
    convention.amendment_cosignatures_required = 1
    isere = make_federation("38", "Isère")
    grenoble = make_section(isere, "Grenoble")
    alice = make_user(member=make_member(grenoble, "Alice", "Martin"))
    bob = make_user(member=make_member(grenoble, "Bob", "Leroy"))
    cosigners = [make_user(member=make_member(grenoble, "Zoé", name)) for name in COSIGNERS]
    secretary = make_user(member=make_member(grenoble, "Sam", "Secret"), roles=((Role.SECTION_SECRETARY, grenoble),))
    committee = make_user(display_name="Comité", roles=((Role.COMMITTEE, convention),))
    text, version = _text(db, convention)

    first = _submit(alice, convention, version, "I-1-2", RequestedKind.EDIT,
                    "Les adhérents du parti décident des priorités.")  # fmt: skip
    deletion = _submit(bob, convention, version, "I-1-1", RequestedKind.DELETE)
    insertion = _submit(
        secretary, convention, version, "I-1-3", RequestedKind.INSERT,
        "Les gardiens de la paix sont logés près de leur lieu de travail.",
        unit=grenoble, adopted_on=today - dt.timedelta(days=3),
    )  # fmt: skip
    training = _submit(alice, convention, version, "I-2-1", RequestedKind.EDIT,
                       "La formation initiale dure vingt-quatre mois.")  # fmt: skip
    overlap = _submit(bob, convention, version, "I-1-2", RequestedKind.EDIT,
                      "Les militants de la République décident des priorités.")  # fmt: skip
    for user in cosigners:
        _cosign(db, user, deletion)
    _cosign(db, cosigners[0], first)
    _cosign(db, cosigners[0], overlap)

    operations.declare_admissibility(committee, first, True, "Dans le champ du texte.", today=today)
    operations.give_opinion(committee, first, Opinion.FAVORABLE, "Bonne idée.", today=today)
    operations.decide_amendment(committee, first, AmendmentStatus.ADOPTED, "Adopté par le comité.", today=today)
    operations.declare_admissibility(committee, training, False, "Hors du champ de la convention.", today=today)
    operations.declare_admissibility(committee, overlap, True, "Recevable.", today=today)
    synthesis = operations.create_synthesis(
        committee, version, amendment_queries.find_block(version.id, "I-1-2"), [overlap],
        AmendmentData(requested=RequestedKind.EDIT, rationale="Synthèse des amendements.",
                      edited="Les militants et les élus décident des priorités."),
        today=today,
    )  # fmt: skip

    other = make_convention("autre")
    other.phase_override = PhaseKind.AMENDMENTS
    _, other_version = _text(db, other, slug="autre-texte")
    elsewhere = _submit(alice, other, other_version, "I-1-1", RequestedKind.DELETE)
    db.session.commit()
    return {
        "convention": convention,
        "text": text,
        "isere": isere,
        "grenoble": grenoble,
        "first": first,
        "deletion": deletion,
        "insertion": insertion,
        "training": training,
        "overlap": overlap,
        "synthesis": synthesis,
        "elsewhere": elsewhere,
    }


@pytest.fixture()
def data(database):
    return build(database)


def _numbers(client, query: str = "") -> list[int]:
    response = client.get(f"{API}/amendments?per_page=1000&{query}")
    assert response.status_code == 200, response.get_json()
    return [item["number"] for item in response.get_json()["items"]]


def test_list_shape_and_order(client, data):
    body = client.get(f"{API}/amendments").get_json()
    assert (body["total"], body["page"], body["per_page"]) == (6, 1, 50)
    # by line, then by number: the deletion (line 1) before n° 1, 5 and 6 (line 2), and so on
    assert [item["number"] for item in body["items"]] == [2, 1, 5, 6, 3, 4]
    lines = [(item["line_start"], item["number"]) for item in body["items"]]
    assert lines == sorted(lines)
    assert {item["text_id"] for item in body["items"]} == {data["text"].id}


def test_adopted_modification(client, data):
    first = data["first"]
    item = client.get(f"{API}/amendments/{first.id}").get_json()
    assert item == {
        "id": first.id,
        "number": 1,
        "text_id": data["text"].id,
        "version": 1,
        "chapter_id": "I-1",
        "block_id": "I-1-2",
        "kind": "modify",
        "line_start": 2,
        "line_end": 2,
        "citation": item["citation"],
        "original": "élus de la République",
        "replacement": "adhérents du parti",
        "rationale": "Parce que **c'est mieux**.",
        "author": "Alice Martin",
        "unit": None,
        "adopted_on": None,
        "cosignatures": 1,
        "cluster_id": first.cluster_id,
        "status": "adopted",
        "status_label": "Adopté",
        "admissible": True,
        "admissibility": {"value": True, "reason": "Dans le champ du texte.", "date": item["admissibility"]["date"]},
        "opinion": {"value": "favorable", "label": "Avis favorable", "reason": "Bonne idée.",
                    "date": item["opinion"]["date"]},
        "decision": {"status": "adopted", "reason": "Adopté par le comité.", "date": item["decision"]["date"],
                     "modified_wording": None},
        "is_synthesis": False,
        "to_resubmit": False,
        "merged_into": None,
        "submitted": item["submitted"],
        "url": f"/amendements/{first.id}",
    }  # fmt: skip
    assert item["citation"].startswith("À la ligne 2, remplacer les mots « élus de la République »")
    assert first.cluster_id is not None  # n° 5 overlaps it
    for moment in (item["submitted"], item["decision"]["date"], item["opinion"]["date"]):
        parsed = dt.datetime.fromisoformat(moment)
        assert parsed.utcoffset() in (dt.timedelta(hours=1), dt.timedelta(hours=2))  # Paris time


def test_deletion_insertion_and_unit(client, data):
    deletion = client.get(f"{API}/amendments/{data['deletion'].id}").get_json()
    assert (deletion["kind"], deletion["replacement"], deletion["block_id"]) == ("delete", "", "I-1-1")
    assert deletion["original"] == "Les socialistes proposent une police de proximité."
    assert (deletion["status"], deletion["admissible"], deletion["opinion"], deletion["decision"]) == (
        "submitted", None, None, None,
    )  # fmt: skip
    assert deletion["admissibility"] is None and deletion["cluster_id"] is None
    assert deletion["cosignatures"] == 2 and deletion["author"] == "Bob Leroy"

    insertion = client.get(f"{API}/amendments/{data['insertion'].id}").get_json()
    assert (insertion["kind"], insertion["original"], insertion["block_id"]) == ("insert", "", "I-1-3")
    assert insertion["replacement"] == "Les gardiens de la paix sont logés près de leur lieu de travail."
    assert insertion["author"] is None
    assert insertion["unit"] == {
        "type": "section", "id": data["grenoble"].id, "name": "Grenoble", "label": "Section Grenoble",
    }  # fmt: skip
    assert insertion["adopted_on"] == (dt.date.today() - dt.timedelta(days=3)).isoformat()
    assert insertion["citation"].startswith("Après la ligne")


def test_inadmissible_synthesis_and_merged(client, data):
    training = client.get(f"{API}/amendments/{data['training'].id}").get_json()
    assert (training["status"], training["admissible"], training["decision"]) == ("inadmissible", False, None)
    assert training["admissibility"]["reason"] == "Hors du champ de la convention."

    overlap = client.get(f"{API}/amendments/{data['overlap'].id}").get_json()
    synthesis = client.get(f"{API}/amendments/{data['synthesis'].id}").get_json()
    assert (overlap["status"], overlap["merged_into"]) == ("merged", 6)
    assert overlap["decision"]["status"] == "merged"
    assert (synthesis["is_synthesis"], synthesis["author"], synthesis["admissible"]) == (
        True, "Comité de pilotage", True,
    )  # fmt: skip
    assert synthesis["cluster_id"] == overlap["cluster_id"] == data["first"].cluster_id


def test_cosigner_names_never_appear(client, data):
    bodies = [client.get(f"{API}/amendments?per_page=1000").get_data(as_text=True)]
    bodies += [client.get(f"{API}/amendments/{data[k].id}").get_data(as_text=True) for k in ("deletion", "first")]
    for body in bodies:
        assert "Alice Martin" in body or "Bob Leroy" in body
        for name in COSIGNERS:
            assert name not in body
        assert "Zoé" not in body


@pytest.mark.parametrize(
    ("query", "numbers"),
    [
        ("chapter=I-2", [4]),
        ("chapter=I-1", [2, 1, 5, 6, 3]),
        ("block=I-1-2", [1, 5, 6]),
        ("block=I-9-9", []),
        ("status=adopted", [1]),
        ("status=submitted", [2, 3]),
        ("status=withdrawn", []),
        ("unit=true", [3]),
        ("unit=false", [2, 1, 5, 6, 4]),
        ("version=1", [2, 1, 5, 6, 3, 4]),
        ("version=2", []),
        ("chapter=I-1&status=submitted&unit=false", [2]),
    ],
)
def test_filters(client, data, query, numbers):
    assert _numbers(client, query) == numbers


def test_filters_by_id(client, data):
    assert _numbers(client, f"text={data['text'].id}") == [2, 1, 5, 6, 3, 4]
    assert _numbers(client, f"text={data['elsewhere'].text_id}") == []  # another convention's text
    assert _numbers(client, f"section={data['grenoble'].id}") == [3]
    assert _numbers(client, f"federation={data['isere'].id}") == [3]  # its sections count too
    assert _numbers(client, "section=999999") == []
    assert _numbers(client, f"cluster={data['first'].cluster_id}") == [1, 5, 6]


def test_one_convention_only(client, data):
    elsewhere = data["elsewhere"]
    # The featured convention's path does not serve it: it leads to its own convention's path.
    response = client.get(f"{API}/amendments/{elsewhere.id}")
    assert response.status_code == 308
    assert response.headers["Location"] == f"{API}/conventions/autre/amendments/{elsewhere.id}"
    other = client.get(f"{API}/amendments?convention=autre").get_json()
    assert [item["id"] for item in other["items"]] == [elsewhere.id] and other["total"] == 1
    assert client.get(f"{API}/amendments/{elsewhere.id}?convention=autre").get_json()["number"] == 1


def test_pagination(client, data):
    seen = []
    for page in range(1, 4):
        body = client.get(f"{API}/amendments?page={page}&per_page=2").get_json()
        assert (body["total"], body["page"], body["per_page"], len(body["items"])) == (6, page, 2, 2)
        seen += [item["number"] for item in body["items"]]
    assert seen == [2, 1, 5, 6, 3, 4]
    beyond = client.get(f"{API}/amendments?page=4&per_page=2").get_json()
    assert beyond["items"] == [] and beyond["total"] == 6
    assert client.get(f"{API}/amendments?per_page=1000").status_code == 200


@pytest.mark.parametrize(
    "url",
    ["/amendments/999999", "/amendments/99999999999999999999", "/amendments?convention=inconnue",
     "/amendments/{id}?convention=inconnue"],
)  # fmt: skip
def test_not_found_is_json(client, data, url):
    response = client.get(API + url.format(id=data["first"].id))
    assert response.status_code == 404 and response.is_json
    body = response.get_json()
    assert body["code"] == 404
    assert body["message"] in (
        "Amendement introuvable.",
        "Convention introuvable.",
        "La page demandée n'existe pas ou a été déplacée.",
    )
    if url == "/amendments/999999":
        assert body["message"] == "Amendement introuvable."


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("per_page=0", "per_page"),
        ("per_page=1001", "per_page"),
        ("page=0", "page"),
        ("page=abc", "page"),
        ("status=accepted", "status"),
        ("status=", "status"),
        ("chapter=", "chapter"),
        ("chapter=%3Cscript%3E", "chapter"),
        ("block=I-1%201", "block"),
        ("block=I-1-1%0A", "block"),
        ("block=" + "I" * 41, "block"),
        ("text=abc", "text"),
        ("text=0", "text"),
        ("version=0", "version"),
        ("section=-1", "section"),
        ("federation=99999999999999999999", "federation"),
        ("cluster=1.5", "cluster"),
        ("unit=peut-etre", "unit"),
    ],
)
def test_bad_arguments_are_a_json_422(client, data, query, field):
    response = client.get(f"{API}/amendments?{query}")
    assert response.status_code == 422 and response.is_json
    body = response.get_json()
    assert field in body["errors"]["query"]
    assert body["message"].startswith("Paramètres invalides")


def test_nul_in_a_filter_is_refused_before_the_database(client, data):
    response = client.get(f"{API}/amendments?block=I-1-1%00")
    assert response.status_code in (400, 422) and response.is_json


def test_method_not_allowed_keeps_allow_header(client, data):
    response = client.post(f"{API}/amendments")
    assert response.status_code == 405 and response.is_json
    assert "GET" in response.headers["Allow"]


def test_openapi_describes_amendments_in_french(client, data):
    spec = client.get(f"{API}/openapi.json").get_json()
    for path in AMENDMENT_PATHS:
        operation = spec["paths"][path]["get"]
        assert {"200", "404", "422"} <= set(operation["responses"]), path
        assert operation["summary"].startswith(("Les amendements", "Un amendement"))
    params = {p["name"]: p for p in spec["paths"]["/api/v1/amendments"]["get"]["parameters"]}
    assert {"text", "version", "chapter", "block", "status", "section", "federation", "unit", "cluster",
            "page", "per_page", "convention"} <= set(params)  # fmt: skip
    assert "section ou une fédération" in params["unit"]["description"]
    item = spec["components"]["schemas"]["Amendment"]
    assert (
        "cosignatures" in item["properties"]
        and "Nombre de cosignatures" in (item["properties"]["cosignatures"]["description"])
    )


def _bulk(db, data, count: int) -> None:
    """``count`` more amendments, spread over sections, federations, versions and syntheses."""
    from tests.auth_fixtures import make_federation, make_section

    first = data["first"]
    units = []
    for index in range(5):
        federation = make_federation(f"{70 + index}", f"Fédération {index}")
        units += [("federation", federation), ("section", make_section(federation, f"Section {index}"))]
    for index in range(count):
        kind, unit = units[index % len(units)]
        db.session.add(
            Amendment(
                convention_id=first.convention_id,
                text_id=first.text_id,
                number=100 + index,
                version_id=first.version_id,
                chapter_anchor="I-1",
                block_anchor="I-1-2",
                kind=AmendmentKind.MODIFY,
                span_start=4,
                span_end=8,
                original="élus",
                replacement=f"membres {index}",
                line_start=2,
                line_end=2,
                citation="À la ligne 2…",
                rationale="Motifs.",
                author_name="",
                section_id=unit.id if kind == "section" else None,
                federation_id=unit.id if kind == "federation" else unit.federation_id,
                status=AmendmentStatus.MERGED,
                merged_into_id=data["synthesis"].id,
                cluster_id=first.cluster_id,
            )
        )
    db.session.commit()


@pytest.mark.parametrize("path", ["/amendments?per_page=1000", "/amendments/{id}"])
def test_no_n_plus_one(client, database, path):
    """The number of queries does not grow with the number of amendments."""
    data = build(database)
    _bulk(database, data, 40)
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    engine = database.engine
    sa_event.listen(engine, "before_cursor_execute", count)
    try:
        response = client.get(API + path.format(id=data["first"].id))
        assert response.status_code == 200
    finally:
        sa_event.remove(engine, "before_cursor_execute", count)
    if "per_page" in path:
        assert response.get_json()["total"] == 46
    assert len(statements) <= 5, statements


@pytest.mark.slow
def test_amendment_paths_conform_to_the_openapi_document(app, database):
    """schemathesis over the amendment paths, with amendments in the database: no server error."""
    build(database)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations_ = [result.ok() for result in schema.get_all_operations()]
    operations_ = [op for op in operations_ if op.path in AMENDMENT_PATHS]
    assert sorted(op.path for op in operations_) == sorted(AMENDMENT_PATHS)
    statuses: set[int] = set()
    for operation in operations_:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=60,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                   HealthCheck.function_scoped_fixture],
        )  # fmt: skip
        def check(case):
            statuses.add(case.call_and_validate().status_code)

        check()
    assert 200 in statuses and statuses & {404, 422}, statuses
    assert not any(code >= 500 for code in statuses)
