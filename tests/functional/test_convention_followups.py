"""Follow-ups of the several-conventions work (issue 13).

- A text file's preview token names the convention and the text it was previewed for: it cannot
  publish a version in another convention (whose version numbers may match), nor in another text.
- The administration's « Phases » page edits the phases and the forced phase of any published
  convention (``/administration/?convention=<slug>``), not only the featured one's.
- Links built for the rows of a convention that is not the featured one carry its ``/c/<slug>/``
  prefix: the amendment import job's result link, the search API's results (the index stores each
  page's path within its convention, prefixed when shown).
"""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
import sqlalchemy as sa
from flask import g

from convention.conventions.models import Convention, Phase
from convention.core.audit import AuditEntry
from convention.domain.phases import PhaseKind
from convention.extensions import db
from convention.jobs.models import Job, JobKind, JobState
from convention.search.indexing import rebuild_index
from convention.search.models import SearchDocument, SearchKind
from convention.texts.models import Text, TextVersion
from convention.versions.forms import (
    OTHER_CONVENTION,
    OTHER_TEXT,
    Upload,
    UploadMismatch,
    read_upload,
    sign_upload,
)
from tests.amendment_fixtures import TODAY, amendment_count, build_world, log_in
from tests.auth_fixtures import page_text
from tests.convention_fixtures import add_convention, feature

OTHER = "logement"


def html(response) -> str:
    return response.get_data(as_text=True)


def token_of(page: str) -> str:
    match = re.search(r'name="upload" type="hidden" value="([^"]+)"', page)
    assert match, "no upload token in the preview"
    return match.group(1)


def versions_of(convention_id: int) -> list[int]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(TextVersion.number)
            .join(Text, Text.id == TextVersion.text_id)
            .where(Text.convention_id == convention_id)
            .order_by(TextVersion.number)
        )
    )


def audit_actions() -> list[str]:
    return list(db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)))


MARKDOWN = (
    "# I. Une partie nouvelle\n\n## 1. Un chapitre\n\nUn premier alinéa, tout neuf.\n\n"
    "Un second alinéa, tout aussi neuf.\n"
)


def preview(client, prefix: str = "") -> str:
    response = client.post(
        f"{prefix}/texte/versions/nouvelle",
        data={"file": (io.BytesIO(MARKDOWN.encode()), "texte.md"), "format": "auto"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200, page_text(response)
    return token_of(html(response))


def publish(client, token: str, prefix: str = ""):
    return client.post(f"{prefix}/texte/versions/nouvelle/publier", data={"upload": token, "status": "amended"})


@pytest.fixture()
def two(database, app):
    """The featured convention A (« securite », amendment phase) and a published convention B beside it."""
    world = build_world(PhaseKind.AMENDMENTS)
    other = add_convention(OTHER, archived=False)
    db.session.commit()
    world.other = other
    return world


# --- 1. the preview token is bound to its convention and its text --------------------------------------


def test_a_preview_of_one_convention_cannot_publish_in_another(two, client):
    a, b = two.convention.id, two.other.convention.id
    assert versions_of(a) == [1] and versions_of(b) == [1]  # the same version numbers: the trap
    log_in(client, two.users["national_bureau"])
    before = audit_actions()

    token_a = preview(client)  # previewed on A's page (the featured one: short paths)
    refused = publish(client, token_a, f"/c/{OTHER}")
    assert refused.status_code == 302
    assert refused.headers["Location"] == f"/c/{OTHER}/texte/versions/nouvelle"
    message = page_text(client.get(refused.headers["Location"]))
    assert "prévisualisé pour une autre convention : rien n'a été publié" in message
    assert versions_of(a) == [1] and versions_of(b) == [1] and audit_actions() == before

    token_b = preview(client, f"/c/{OTHER}")  # and the other way round
    refused = publish(client, token_b)
    assert refused.status_code == 302 and refused.headers["Location"] == "/texte/versions/nouvelle"
    assert versions_of(a) == [1] and versions_of(b) == [1] and audit_actions() == before

    # Each token still publishes where it was previewed.
    assert publish(client, token_b, f"/c/{OTHER}").status_code == 302
    assert versions_of(b) == [1, 2] and versions_of(a) == [1]
    assert publish(client, token_a).headers["Location"] == "/texte/versions/"
    assert versions_of(a) == [1, 2] and versions_of(b) == [1, 2]


def test_a_token_for_another_text_or_without_a_convention_is_refused(two, client, app):
    a = two.convention
    log_in(client, two.users["national_bureau"])
    with app.test_request_context():
        base = dict(filename="texte.md", format="markdown", base=1, checksum="0" * 64, document={"x": 1})
        other_text = sign_upload(Upload(**base, convention_id=a.id, text_id=two.other.text.id))
        unbound = sign_upload(Upload(**base))  # what the setup wizard signs
    for token, words in ((other_text, "prévisualisé pour un autre texte"),
                         (unbound, "prévisualisé pour une autre convention")):  # fmt: skip
        response = publish(client, token)
        assert response.status_code == 302
        assert words in page_text(client.get(response.headers["Location"]))
    assert versions_of(a.id) == [1]


def test_read_upload_checks_the_convention_and_the_text(app):
    with app.test_request_context():
        bound = sign_upload(Upload("t.md", "markdown", 1, "c", document={}, convention_id=3, text_id=7))
        unbound = sign_upload(Upload("t.md", "markdown", None, "c", document={}))
        assert read_upload(bound, convention_id=3, text_id=7).convention_id == 3
        assert read_upload(unbound).convention_id is None  # the wizard's token, read by the wizard
        for token, kwargs, message in (
            (bound, {"convention_id": 4, "text_id": 7}, OTHER_CONVENTION),
            (bound, {"convention_id": 3, "text_id": 8}, OTHER_TEXT),
            (bound, {}, OTHER_CONVENTION),  # a versions page's token sent to the wizard
            (unbound, {"convention_id": 3, "text_id": 7}, OTHER_CONVENTION),
        ):
            with pytest.raises(UploadMismatch) as caught:
                read_upload(token, **kwargs)
            assert str(caught.value) == message


# --- 2. the administration edits any published convention's phases ---------------------------------------


def _phases(convention_id: int) -> dict[PhaseKind, tuple[dt.date, dt.date | None]]:
    db.session.expire_all()
    rows = db.session.scalars(sa.select(Phase).where(Phase.convention_id == convention_id))
    return {p.kind: (p.starts_on, p.ends_on) for p in rows}


def _override(convention_id: int) -> PhaseKind | None:
    db.session.expire_all()
    return db.session.get(Convention, convention_id).phase_override


def test_the_bureau_edits_the_phases_of_a_convention_that_is_not_featured(two, client):
    a, b = two.convention.id, two.other.convention.id
    phases_a, phases_b = _phases(a), _phases(b)
    log_in(client, two.users["national_bureau"])

    featured = page_text(client.get("/administration/"))
    assert "Phases de la convention « Sécurité et prévention »" in featured
    assert '<option selected value="securite">' in html(client.get("/administration/"))

    page = client.get(f"/administration/?convention={OTHER}")
    assert page.status_code == 200
    body = html(page)
    assert "Phases de la convention « Logement »" in page_text(page)
    assert f'<option selected value="{OTHER}">' in body and "sous /c/logement/" in body
    phase_b = db.session.scalars(sa.select(Phase).where(Phase.convention_id == b)).one()
    assert f'href="/administration/phases/{phase_b.id}"' in body
    assert f'action="/administration/phase-en-cours?convention={OTHER}"' in body
    assert f'href="/c/{OTHER}/vote/' in body

    # The dates of B's phase: A's are untouched, the page goes back to B's phases.
    response = client.post(f"/administration/phases/{phase_b.id}",
                           data={"starts_on": "2026-02-01", "ends_on": "2026-09-30"})  # fmt: skip
    assert response.status_code == 302
    assert response.headers["Location"] == f"/administration/?convention={OTHER}"
    assert _phases(b) == {PhaseKind.WORKING_GROUPS: (dt.date(2026, 2, 1), dt.date(2026, 9, 30))} != phases_b
    assert _phases(a) == phases_a

    # The forced phase of B: needs the confirmation, then A's forced phase is untouched.
    unconfirmed = client.post(f"/administration/phase-en-cours?convention={OTHER}", data={"phase": "working_groups"})
    assert unconfirmed.status_code == 400 and "Cochez la case pour confirmer" in page_text(unconfirmed)
    assert _override(b) is None
    unknown_kind = client.post(f"/administration/phase-en-cours?convention={OTHER}",
                               data={"phase": "amendments", "confirm": "y"})  # fmt: skip
    assert unknown_kind.status_code == 400 and _override(b) is None  # B has no amendment phase
    forced = client.post(f"/administration/phase-en-cours?convention={OTHER}",
                         data={"phase": "working_groups", "confirm": "y"})  # fmt: skip
    assert forced.status_code == 302 and forced.headers["Location"] == f"/administration/?convention={OTHER}"
    assert _override(b) == PhaseKind.WORKING_GROUPS and _override(a) == PhaseKind.AMENDMENTS
    shown = page_text(client.get(forced.headers["Location"]))
    assert "La phase « Groupes de travail » est désormais imposée." in shown
    assert "Phases de la convention « Logement »" in shown and "imposée par le Bureau national" in shown
    back = client.post(f"/administration/phase-en-cours?convention={OTHER}", data={"phase": "", "confirm": "y"})
    assert back.status_code == 302 and _override(b) is None and _override(a) == PhaseKind.AMENDMENTS


def test_an_unknown_or_draft_convention_on_the_phases_page(two, client):
    draft = add_convention("brouillon", published=False, archived=False)
    db.session.commit()
    log_in(client, two.users["national_bureau"])
    assert client.get("/administration/?convention=inconnue").status_code == 404
    response = client.post("/administration/phase-en-cours?convention=inconnue", data={"phase": "", "confirm": "y"})
    assert response.status_code == 404
    to_wizard = client.get("/administration/?convention=brouillon")
    assert to_wizard.status_code == 302
    assert to_wizard.headers["Location"] == f"/administration/conventions/{draft.convention.id}/phases"
    forced = client.post("/administration/phase-en-cours?convention=brouillon",
                         data={"phase": "working_groups", "confirm": "y"})  # fmt: skip
    assert forced.status_code == 302 and _override(draft.convention.id) is None
    # Drafts are not offered in the selector.
    assert 'value="brouillon"' not in html(client.get("/administration/"))


@pytest.mark.parametrize("user", ["committee", "member_paid", "pilot_this_group"])
def test_other_roles_cannot_edit_another_conventions_phases(two, client, user):
    phase_b = db.session.scalars(sa.select(Phase).where(Phase.convention_id == two.other.convention.id)).one()
    before = _phases(two.other.convention.id)
    log_in(client, two.users[user])
    assert client.get(f"/administration/?convention={OTHER}").status_code == 403
    posted = client.post(f"/administration/phase-en-cours?convention={OTHER}",
                         data={"phase": "working_groups", "confirm": "y"})  # fmt: skip
    assert posted.status_code == 403
    assert client.post(f"/administration/phases/{phase_b.id}", data={"starts_on": "2026-02-01"}).status_code == 403
    assert _override(two.other.convention.id) is None and _phases(two.other.convention.id) == before


def test_the_bureau_gives_roles_in_a_convention_that_is_not_featured(two, client):
    """The roles page works on the convention chosen too: a pilot of B's group, B's steering committee."""
    from convention.domain.roles import Role
    from convention.members.models import RoleAssignment

    log_in(client, two.users["national_bureau"])
    member = two.users["member_paid"]

    def group_choices(page: str) -> set[str]:
        select = re.search(r'<select[^>]*id="working_group_id".*?</select>', page, re.S)
        assert select, "no working group selector"
        return set(re.findall(r'value="(\d+)"', select.group(0)))

    featured = group_choices(html(client.get("/administration/roles")))
    assert featured == {str(two.group1.id), str(two.group2.id)}
    page = html(client.get(f"/administration/roles?convention={OTHER}"))
    assert group_choices(page) == {str(two.other.group.id)}
    assert "ici « Logement »" in page

    empty = {"section_id": "", "federation_id": "", "working_group_id": ""}
    pilot = client.post(f"/administration/roles?convention={OTHER}",
                        data={**empty, "email": member.email, "role": "pilot",
                              "working_group_id": str(two.other.group.id)})  # fmt: skip
    assert pilot.status_code == 302 and pilot.headers["Location"] == f"/administration/roles?convention={OTHER}"
    committee = client.post(f"/administration/roles?convention={OTHER}",
                            data={**empty, "email": member.email, "role": "committee"})  # fmt: skip
    assert committee.status_code == 302
    db.session.expire_all()
    rows = db.session.scalars(sa.select(RoleAssignment).where(RoleAssignment.user_id == member.id)).all()
    assert {(r.role, r.working_group_id, r.convention_id) for r in rows} == {
        (Role.PILOT, two.other.group.id, None),
        (Role.COMMITTEE, None, two.other.convention.id),
    }
    # A's group cannot be given from B's page (not among the choices): refused, nothing written.
    refused = client.post(f"/administration/roles?convention={OTHER}",
                          data={**empty, "email": member.email, "role": "pilot",
                                "working_group_id": str(two.group1.id)})  # fmt: skip
    assert refused.status_code == 400
    assert len(db.session.scalars(sa.select(RoleAssignment).where(RoleAssignment.user_id == member.id)).all()) == 2
    pilot_row = next(r for r in rows if r.role == Role.PILOT)
    page = html(client.get(f"/administration/roles?convention={OTHER}"))
    revoke = f"/administration/roles/{pilot_row.id}/retrait?convention={OTHER}"
    assert f'action="{revoke}"' in page
    revoked = client.post(revoke)
    assert revoked.status_code == 302 and revoked.headers["Location"] == f"/administration/roles?convention={OTHER}"
    draft = add_convention("brouillon", published=False, archived=False)
    db.session.commit()
    to_wizard = client.get("/administration/roles?convention=brouillon")
    assert to_wizard.headers["Location"] == f"/administration/conventions/{draft.convention.id}/equipes"


# --- 3. links of a non-featured convention's rows ----------------------------------------------------------


def test_the_amendment_import_links_to_its_conventions_amendments(two, client):
    """A (amendment phase) is no longer featured: the job's link stays in A, under /c/securite/."""
    feature(two.other.convention)
    db.session.commit()
    log_in(client, two.users["committee"])
    line = two.block("I-1-3").line_start
    meeting = (TODAY - dt.timedelta(days=3)).strftime("%d/%m/%Y")
    table = ("Unité;Ligne;Type;Mots visés;Nouveaux mots;Exposé des motifs;Date de la réunion\r\n"
             f"Isère / Grenoble;{line};supprimer;;;Hors de propos.;{meeting}\r\n").encode("cp1252")  # fmt: skip
    response = client.post("/c/securite/amendements/import/",
                           data={"file": (io.BytesIO(table), "tableau.csv"), "confirm": "y"},
                           content_type="multipart/form-data")  # fmt: skip
    assert response.status_code == 302, page_text(response)
    job = db.session.scalar(sa.select(Job))
    assert (job.kind, job.state) == (JobKind.AMENDMENT_IMPORT, JobState.SUCCEEDED), job.error
    assert amendment_count() == 1
    assert [link["url"] for link in job.result["links"]] == ["/c/securite/amendements/?unites=1"]
    assert client.get(job.result["links"][0]["url"]).status_code == 200


def _indexed(kind: SearchKind, object_id: int) -> str:
    db.session.expire_all()
    return db.session.scalars(
        sa.select(SearchDocument.url).where(SearchDocument.kind == kind, SearchDocument.object_id == object_id)
    ).one()


def test_search_results_of_a_non_featured_convention_carry_its_path(two, client):
    other = two.other
    rebuild_index()
    db.session.commit()
    contribution_path = f"/contributions/{other.contribution.id}"
    # The index keeps the path within the convention (see convention.search.indexing._path).
    assert _indexed(SearchKind.CONTRIBUTION, other.contribution.id) == contribution_path

    for url in (f"/api/v1/conventions/{OTHER}/search?q=logement", f"/api/v1/search?convention={OTHER}&q=logement"):
        body = client.get(url).get_json()
        urls = {(item["kind"], item["url"]) for item in body["items"]}
        assert ("contribution", f"/c/{OTHER}{contribution_path}") in urls, urls
        assert all(u.startswith(f"/c/{OTHER}/") for _kind, u in urls)
        assert any(kind == "text" and u.startswith(f"/c/{OTHER}/texte/chapitre/") for kind, u in urls)
    assert client.get(f"/c/{OTHER}{contribution_path}").status_code == 200
    page = html(client.get(f"/c/{OTHER}/recherche/?q=logement"))
    assert f'href="/c/{OTHER}{contribution_path}"' in page
    # The featured convention's results keep their short paths.
    featured = client.get("/api/v1/search?q=prevention").get_json()
    assert featured["items"] and all(not i["url"].startswith("/c/") for i in featured["items"])

    # B becomes the featured convention: nothing to rebuild, its results take the short paths, A's the slugged.
    feature(other.convention)
    db.session.commit()
    g.pop("featured_convention", None)
    assert _indexed(SearchKind.CONTRIBUTION, other.contribution.id) == contribution_path
    body = client.get(f"/api/v1/conventions/{OTHER}/search?q=logement").get_json()
    assert ("contribution", contribution_path) in {(i["kind"], i["url"]) for i in body["items"]}
    moved = client.get("/api/v1/conventions/securite/search?q=prevention").get_json()
    assert moved["items"] and all(i["url"].startswith("/c/securite/") for i in moved["items"])


def test_a_jobs_links_go_to_the_convention_it_works_for(two, app):
    """Built in a worker (no page names the convention): the job's own convention, never the featured one."""
    from convention.core.links import path_for
    from convention.outputs import common

    other = two.other
    text_import = Job(kind=JobKind.TEXT_IMPORT, params={"convention_id": other.convention.id})
    export = Job(kind=JobKind.AMENDMENT_EXPORT, params={"text_id": other.text.id, "format": "csv"})
    featured_export = Job(kind=JobKind.AMENDMENT_EXPORT, params={"text_id": two.text.id, "format": "csv"})
    db.session.add_all([text_import, export, featured_export])
    db.session.commit()
    with app.app_context():
        assert path_for("versions.job_preview", job_id=text_import.id) == (
            f"/c/{OTHER}/texte/versions/nouvelle/travail/{text_import.id}"
        )
        assert common.path_for("outputs.index", export) == f"/c/{OTHER}/documents/"
        assert common.path_for("outputs.index", featured_export) == "/documents/"


def test_a_document_of_a_draft_convention_is_the_bureaus_until_it_is_published(two):
    """Public outputs are for every member, but a draft's text is not public yet."""
    other = two.other
    other.convention.published_dt = None
    export = Job(kind=JobKind.AMENDMENT_EXPORT, params={"text_id": other.text.id, "format": "csv"})
    public = Job(kind=JobKind.AMENDMENT_EXPORT, params={"text_id": two.text.id, "format": "csv"})
    db.session.add_all([export, public])
    db.session.commit()
    member, bureau = two.users["member_paid"], two.users["national_bureau"]
    assert public.can_view(member) and public.can_view(bureau)
    assert not export.can_view(member) and export.can_view(bureau)
