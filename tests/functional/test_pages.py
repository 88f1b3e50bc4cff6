"""The public pages answer with the convention's content, in French, accessible and CSP-clean.

The assertions read the expected content from the database, so they hold on the
seeded convention (``seeded``, once the seed loader and the demo data exist) and
on the small dataset of ``pages_dataset`` (used until then).
"""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

import pytest
import sqlalchemy as sa
from markupsafe import escape

from convention.calendar.models import Event, EventKind, event_working_group
from convention.contributions.models import Channel, Contribution
from convention.conventions.models import Convention
from convention.domain.lifecycle import ContributionStatus
from convention.domain.textstructure import BlockKind
from convention.extensions import db
from convention.groups.models import SteeringRole, WorkingGroup
from convention.texts.models import Acronym, Block, Chapter, Part, Proposal, Text
from tests.functional.pages_dataset import pages_site as site  # noqa: F401 (fixture)

pytestmark = pytest.mark.usefixtures("site")

PUBLIC_PAGES = (
    "/",
    "/groupes/",
    "/groupes/pilotage",
    "/calendrier/",
    "/calendrier/?vue=grille&mois=2024-12",
    "/contributions/",
    "/texte/",
    "/texte/glossaire",
)


def get(client, url: str, **kwargs):
    """GET ``url`` in a fresh application context (``g`` must not leak between requests)."""
    with client.application.app_context():
        return client.get(url, **kwargs)


def page_text(response) -> str:
    return response.get_data(as_text=True)


def plain(html: str) -> str:
    """The text of an HTML fragment, tags removed, entities and spaces normalised."""
    text = unescape(re.sub(r"<[^>]+>", " ", html))
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ")).strip()


def linked_ids(html: str, prefix: str) -> list[int]:
    """Ids in links like ``href="/calendrier/12"`` (in order, duplicates kept)."""
    return [int(n) for n in re.findall(rf'href="{re.escape(prefix)}(\d+)"', html)]


def the_convention() -> Convention:
    return db.session.scalars(sa.select(Convention).order_by(Convention.id)).first()


# --- layout -------------------------------------------------------------------------------


@pytest.mark.parametrize("url", PUBLIC_PAGES)
def test_every_page_has_the_layout_and_one_h1(client, url):
    response = get(client, url)
    assert response.status_code == 200
    html = page_text(response)
    assert '<html lang="fr">' in html
    assert '<a class="skip-link" href="#contenu">' in html
    assert '<main id="contenu"' in html
    assert "<header" in html and "<footer" in html
    assert html.count("<h1") == 1
    for label in ("Accueil", "Groupes de travail", "Calendrier", "Contributions", "Le texte",
                  "Amendements", "Glossaire", "Se connecter"):  # fmt: skip
        assert f">{label}</a>" in html
    assert 'href="/compte/connexion"' in html
    assert "/static/vendor/bootstrap.bundle.min.js" in html
    assert "/static/css/app.css" in html


@pytest.mark.parametrize(
    ("url", "active"),
    [
        ("/", "Accueil"),
        ("/groupes/", "Groupes de travail"),
        ("/groupes/1", "Groupes de travail"),
        ("/calendrier/?vue=grille", "Calendrier"),
        ("/contributions/", "Contributions"),
        ("/texte/", "Le texte"),
        ("/texte/glossaire", "Le texte"),
        ("/amendements/", "Amendements"),
    ],
)
def test_the_active_section_is_marked_current_in_the_navigation(client, url, active):
    html = page_text(get(client, url))
    nav = html.split('id="navigation"', 1)[1].split("</ul>", 1)[0]
    current = re.findall(r'aria-current="page">([^<]+)</a>', nav)
    assert current == [active]


@pytest.mark.parametrize("url", PUBLIC_PAGES)
def test_no_inline_script_or_style_anywhere(client, url):
    """The CSP forbids inline code: every script has a src and no element has style=."""
    html = page_text(get(client, url))
    assert not re.search(r"\sstyle\s*=", html, re.IGNORECASE)
    assert not re.search(r"<style", html, re.IGNORECASE)
    for attributes, body in re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S | re.I):
        assert "src=" in attributes
        assert body.strip() == ""
    assert not re.search(r"\son[a-z]+\s*=", html, re.IGNORECASE)  # no onclick=…


def test_the_csp_header_is_strict(client):
    policy = get(client, "/").headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    assert "unsafe-inline" not in policy


@pytest.mark.parametrize("url", ["/calendrier/", "/calendrier/?vue=grille", "/contributions/"])
def test_every_filter_control_has_a_label(client, url):
    html = page_text(get(client, url))
    selects = re.findall(r'<select[^>]*\bid="([^"]+)"', html)
    assert len(selects) >= 2
    for control_id in selects:
        assert f'<label class="form-label" for="{control_id}">' in html
    assert re.search(r'<form class="filters" method="get"', html)


# --- home -----------------------------------------------------------------------------------


def test_home_presents_the_convention_and_announces_the_current_phase(client):
    convention = the_convention()
    html = page_text(get(client, "/"))
    text = plain(html)
    assert str(escape(convention.title)) in html
    assert convention.initiator in text
    current = convention.current_phase(dt.date.today())
    assert current is not None
    assert f"Phase en cours : {current.label}" in text
    # The timeline lists every phase in order and marks the current one.
    labels = re.findall(r'<p class="timeline-label">([^<]+)', html)
    assert [label.strip() for label in labels] == [p.label for p in convention.phases]
    current_item = re.search(r'<li class="timeline-item is-current"\s+aria-current="step">'
                             r'.*?<p class="timeline-label">([^<]+)', html, re.S)
    assert current_item and current_item.group(1).strip() == current.label


def test_home_shows_the_key_figures(client):
    convention = the_convention()
    text = page_text(get(client, "/"))
    groups = db.session.scalar(sa.select(sa.func.count(WorkingGroup.id)).filter_by(
        convention_id=convention.id))
    events = db.session.scalar(sa.select(sa.func.count(Event.id)).filter_by(
        convention_id=convention.id))
    contributions = db.session.scalar(sa.select(sa.func.count(Contribution.id)).filter_by(
        convention_id=convention.id))
    text_row = db.session.scalars(sa.select(Text).filter_by(convention_id=convention.id)).first()
    proposals = db.session.scalar(sa.select(sa.func.count(Proposal.id)).filter_by(
        version_id=text_row.current_version.id))
    figures = dict(
        (unescape(label), int(value))
        for label, value in re.findall(r"<dt>([^<]+)</dt><dd><a [^>]+>(\d+)</a></dd>", text)
    )
    assert figures == {
        "Groupes de travail": groups,
        "Rendez-vous du calendrier": events,
        "Contributions reçues": contributions,
        "Propositions du texte": proposals,
    }
    assert groups == 7 and proposals > 0


# --- working groups ----------------------------------------------------------------------------


def test_the_group_list_shows_the_seven_groups_with_their_animators(client):
    html = page_text(get(client, "/groupes/"))
    groups = db.session.scalars(sa.select(WorkingGroup).order_by(WorkingGroup.number)).all()
    assert len(groups) == 7
    positions = []
    for group in groups:
        link = f'<a href="/groupes/{group.number}">{escape(group.title)}</a>'
        assert link in html
        positions.append(html.index(link))
        for person in group.animator_people:
            assert str(escape(person.display_name)) in html
    assert positions == sorted(positions)


def test_the_steering_is_shown(client):
    roles = db.session.scalars(sa.select(SteeringRole)).all()
    assert roles
    for url in ("/groupes/", "/groupes/pilotage"):
        html = page_text(get(client, url))
        for role in roles:
            assert str(escape(role.person.display_name)) in html
    assert "Pilotes de la convention" in page_text(get(client, "/groupes/pilotage"))


def test_a_group_page_lists_its_animators_and_its_events(client):
    group = db.session.scalars(
        sa.select(WorkingGroup)
        .join(WorkingGroup.animators)
        .where(WorkingGroup.id.in_(sa.select(event_working_group.c.working_group_id)))
        .order_by(WorkingGroup.number)
    ).first()
    assert group is not None
    html = page_text(get(client, f"/groupes/{group.number}"))
    assert f"<h1>{escape(group.title)}</h1>" in html
    for person in group.animator_people:
        assert f'<h3 class="person-name">{escape(person.display_name)}</h3>' in html
    events = db.session.scalars(
        sa.select(Event).where(Event.working_groups.any(WorkingGroup.id == group.id))
    ).all()
    assert events
    assert sorted(linked_ids(html, "/calendrier/")) == sorted(e.id for e in events)


# --- calendar ---------------------------------------------------------------------------------


def test_the_calendar_lists_events_by_month_in_date_order(client):
    html = page_text(get(client, "/calendrier/"))
    events = db.session.scalars(sa.select(Event)).all()
    ids = linked_ids(html, "/calendrier/")
    assert sorted(ids) == sorted(e.id for e in events)
    days = [db.session.get(Event, i).day for i in ids]
    assert days == sorted(days)
    months = re.findall(r'<h2 id="mois-(\d{4}-\d{2})">([^<]+)</h2>', html)
    assert ("2024-12", "Décembre 2024") in months
    assert [m for m, _ in months] == sorted({d.strftime("%Y-%m") for d in days})


def test_the_meetings_of_9_december_2024_are_in_the_calendar(client):
    ninth = [e for e in db.session.scalars(sa.select(Event)).all()
             if e.day == dt.date(2024, 12, 9)]  # fmt: skip
    assert ninth
    listing = page_text(get(client, "/calendrier/"))
    december = listing.split('id="mois-2024-12"', 1)[1]
    assert "lundi 9 décembre 2024" in december
    for event in ninth:
        assert f'href="/calendrier/{event.id}">{escape(event.title)}</a>' in december
        page = page_text(get(client, f"/calendrier/{event.id}"))
        assert f"<h1>{escape(event.title)}</h1>" in page
        assert "lundi 9 décembre 2024" in page
        assert str(escape(event.kind_label)) in page
        if event.part_of_day:
            assert f"<dt>Moment</dt><dd>{escape(event.part_of_day)}</dd>" in page
        for person in event.hosts:
            assert str(escape(person.display_name)) in page


def test_an_event_page_names_the_experts_heard_and_the_groups(client):
    hearing = next(
        e for e in db.session.scalars(sa.select(Event).order_by(Event.starts_dt)).all()
        if e.experts and e.working_groups
    )
    html = page_text(get(client, f"/calendrier/{hearing.id}"))
    for person in hearing.experts:
        assert str(escape(person.display_name)) in html
        if person.organisation:
            assert person.organisation in plain(html)
    for group in hearing.working_groups:
        assert f'href="/groupes/{group.number}"' in html


def test_the_kind_filter_narrows_the_calendar(client):
    hearings = db.session.scalars(sa.select(Event).filter_by(kind=EventKind.HEARING)).all()
    total = db.session.scalar(sa.select(sa.func.count(Event.id)))
    assert 0 < len(hearings) < total
    html = page_text(get(client, "/calendrier/?type=hearing"))
    assert sorted(linked_ids(html, "/calendrier/")) == sorted(e.id for e in hearings)
    assert '<option value="hearing" selected>Audition</option>' in html
    assert f"{len(hearings)} rendez-vous correspondent aux filtres" in plain(html)


def test_the_group_filter_narrows_the_calendar(client):
    group = db.session.scalars(
        sa.select(WorkingGroup)
        .where(WorkingGroup.id.in_(sa.select(event_working_group.c.working_group_id)))
        .order_by(WorkingGroup.number)
    ).first()
    expected = db.session.scalars(
        sa.select(Event).where(Event.working_groups.any(WorkingGroup.id == group.id))
    ).all()
    html = page_text(get(client, f"/calendrier/?groupe={group.number}"))
    assert sorted(linked_ids(html, "/calendrier/")) == sorted(e.id for e in expected)
    assert len(expected) < db.session.scalar(sa.select(sa.func.count(Event.id)))


def test_unknown_filter_values_are_ignored(client):
    all_ids = linked_ids(page_text(get(client, "/calendrier/")), "/calendrier/")
    response = get(client, "/calendrier/?type=nimporte&groupe=abc&vue=autre")
    assert response.status_code == 200
    assert linked_ids(page_text(response), "/calendrier/") == all_ids


def test_the_month_grid_is_an_accessible_table(client):
    html = page_text(get(client, "/calendrier/?vue=grille&mois=2024-12"))
    table = html.split('<table class="month-grid">', 1)[1].split("</table>", 1)[0]
    assert "<caption>Décembre 2024" in table
    assert len(re.findall(r'<th scope="col"', table)) == 8  # week + 7 days
    assert len(re.findall(r'<th scope="row"', table)) == 6  # December 2024 spans six weeks
    assert '<abbr title="Lundi">Lun.</abbr>' in table
    ninth = [e for e in db.session.scalars(sa.select(Event)).all()
             if e.day == dt.date(2024, 12, 9)]  # fmt: skip
    cell = table.split("lundi 9 décembre 2024", 1)[1].split("</td>", 1)[0]
    assert sorted(linked_ids(cell, "/calendrier/")) == sorted(e.id for e in ninth)
    assert 'href="/calendrier/?vue=grille&amp;mois=2024-11" rel="prev"' in html
    assert 'href="/calendrier/?vue=grille&amp;mois=2025-01" rel="next"' in html
    assert '<div class="table-responsive month-grid-wrapper">' in html


def test_the_month_grid_keeps_the_filters_and_shows_only_that_month(client):
    html = page_text(get(client, "/calendrier/?vue=grille&mois=2024-12&type=hearing"))
    december_hearings = [
        e for e in db.session.scalars(sa.select(Event).filter_by(kind=EventKind.HEARING)).all()
        if (e.day.year, e.day.month) == (2024, 12)
    ]
    table = html.split("<table", 1)[1].split("</table>", 1)[0]
    assert sorted(set(linked_ids(table, "/calendrier/"))) == sorted(e.id for e in december_hearings)
    assert "mois=2024-11&amp;type=hearing" in html or "type=hearing&amp;mois=2024-11" in html


def test_an_invalid_month_falls_back_to_a_month_with_events(client):
    response = get(client, "/calendrier/?vue=grille&mois=2024-13")
    assert response.status_code == 200
    assert linked_ids(page_text(response).split("<table", 1)[1], "/calendrier/")


# --- contributions ----------------------------------------------------------------------------


def test_the_contribution_list_is_paginated_with_its_columns(client):
    total = db.session.scalar(sa.select(sa.func.count(Contribution.id)))
    assert total > 20
    first = page_text(get(client, "/contributions/"))
    second = page_text(get(client, "/contributions/?page=2"))
    ids_first = linked_ids(first, "/contributions/")
    ids_second = linked_ids(second, "/contributions/")
    assert len(ids_first) == 20
    assert not set(ids_first) & set(ids_second)
    assert f"{total} contributions" in plain(first)
    assert 'aria-current="page"><span class="visually-hidden">Page </span>1</a>' in first
    for header in ("N°", "Titre", "Auteur ou unité", "Canal", "Statut"):
        assert f'<th scope="col">{header}</th>' in first
    contribution = db.session.get(Contribution, ids_first[0])
    row = first.split(f'href="/contributions/{contribution.id}"', 1)[1].split("</tr>", 1)[0]
    assert contribution.channel_label in row and contribution.status_label in row


def test_a_contribution_shows_its_author_or_unit(client):
    contributions = db.session.scalars(sa.select(Contribution)).all()
    with_author = next(c for c in contributions if c.author_name)
    with_unit = next(c for c in contributions if c.unit_label)
    for contribution, who in ((with_author, with_author.author_name),
                              (with_unit, with_unit.unit_label)):  # fmt: skip
        html = page_text(get(client, f"/contributions/{contribution.id}"))
        assert f"<h1>{escape(contribution.title)}</h1>" in html
        assert str(escape(who)) in html
        assert contribution.status_label in html


def _contribution_ids(client, query: str) -> tuple[list[int], str]:
    """Ids listed on every page of ``/contributions/?<query>``, and the first page's HTML."""
    ids, page, first = [], 1, None
    while True:
        html = page_text(get(client, f"/contributions/?{query}&page={page}"))
        first = first or html
        ids += linked_ids(html, "/contributions/")
        if f"{query.replace('&', '&amp;')}&amp;page={page + 1}" not in html:
            return ids, first
        page += 1


def test_the_channel_filter_narrows_the_list(client):
    expected = db.session.scalars(sa.select(Contribution).filter_by(channel=Channel.EMAIL)).all()
    total = db.session.scalar(sa.select(sa.func.count(Contribution.id)))
    assert 0 < len(expected) < total
    ids, html = _contribution_ids(client, "canal=email")
    assert sorted(ids) == sorted(c.id for c in expected)
    assert '<option value="email" selected>Courriel</option>' in html


def test_the_status_filter_narrows_the_list(client):
    counts = dict(db.session.execute(
        sa.select(Contribution.status, sa.func.count()).group_by(Contribution.status)).all())
    present = min(counts, key=counts.get)
    expected = db.session.scalars(sa.select(Contribution).filter_by(status=present)).all()
    ids, html = _contribution_ids(client, f"statut={present.value}")
    assert sorted(ids) == sorted(c.id for c in expected)
    assert f'<option value="{present.value}" selected>' in html
    absent = [s for s in ContributionStatus if s not in counts]
    if absent:
        ids, html = _contribution_ids(client, f"statut={absent[0].value}")
        assert ids == []
        assert "Aucune contribution ne correspond à ces critères." in html


# --- the text ---------------------------------------------------------------------------------


def _current_version():
    text = db.session.scalars(sa.select(Text).order_by(Text.id)).first()
    return text.current_version


def test_the_table_of_contents_lists_parts_and_chapters_with_proposal_counts(client):
    version = _current_version()
    html = page_text(get(client, "/texte/"))
    parts = db.session.scalars(sa.select(Part).filter_by(version_id=version.id)
                               .order_by(Part.position)).all()  # fmt: skip
    anchors = re.findall(r'href="/texte/chapitre/([^"?]+)"', html)
    expected = [c.anchor for p in parts for c in p.chapters]
    assert anchors == expected
    for part in parts:
        assert str(escape(part.title)) in html
    counted = next(c for p in parts for c in p.chapters if c.proposal_count)
    item = html.split(f'href="/texte/chapitre/{counted.anchor}"', 1)[1].split("</li>", 1)[0]
    noun = "proposition" if counted.proposal_count == 1 else "propositions"
    assert f'<span class="toc-count">{counted.proposal_count} {noun}</span>' in item


def _chapter_with_proposals() -> Chapter:
    version = _current_version()
    return db.session.scalars(
        sa.select(Chapter)
        .where(Chapter.version_id == version.id,
               Chapter.id.in_(sa.select(Proposal.chapter_id)))
        .order_by(Chapter.id)
    ).first()  # fmt: skip


def test_a_chapter_highlights_its_proposals_with_their_reference(client):
    chapter = _chapter_with_proposals()
    html = page_text(get(client, f"/texte/chapitre/{chapter.anchor}"))
    proposals = [b for b in chapter.blocks if b.kind == BlockKind.PROPOSAL]
    noun = "proposition" if len(proposals) == 1 else "propositions"
    assert f'<span class="proposal-count">{len(proposals)} {noun} dans ce chapitre</span>' in html
    for block in proposals:
        section = html.split(f'id="{block.anchor}"', 1)[1].split('class="text-block', 1)[0]
        assert f'<p class="block-label">Proposition {block.proposal.reference}</p>' in section
    assert html.count('class="text-block block-proposal"') == len(proposals)


def test_a_chapter_numbers_its_lines_and_anchors_every_block(client):
    chapter = _chapter_with_proposals()
    html = page_text(get(client, f"/texte/chapitre/{chapter.anchor}"))
    anchors = re.findall(r'<div class="text-block [^"]+" id="([^"]+)">', html)
    assert anchors == [b.anchor for b in chapter.blocks]
    # Each block says its range once for screen readers, and every line carries its number.
    spans = re.findall(r'<p class="visually-hidden">Lignes? (\d+)(?: à (\d+))?', html)
    assert len(spans) == len(chapter.blocks)
    numbers = [(int(a), int(b or a)) for a, b in spans]
    assert numbers == [(b.line_start, b.line_end) for b in chapter.blocks]
    lines = [int(n) for n in re.findall(r'<span class="line" id="L(\d+)">', html)]
    assert lines == list(range(chapter.blocks[0].line_start, chapter.blocks[-1].line_end + 1))
    flat = [n for pair in numbers for n in pair]
    assert flat == sorted(flat) and numbers[0][0] >= 1


def _first_block(kind: BlockKind) -> Block:
    return db.session.scalars(
        sa.select(Block)
        .filter_by(version_id=_current_version().id, kind=kind)
        .order_by(Block.id)
    ).first()


def _block_html(client, block: Block) -> str:
    html = page_text(get(client, f"/texte/chapitre/{block.chapter.anchor}"))
    return html.split(f'id="{block.anchor}"', 1)[1].split('class="text-block', 1)[0]


def test_subheadings_are_headings(client):
    block = _first_block(BlockKind.SUBHEADING)
    section = _block_html(client, block)
    assert re.search(r'<h2 class="lines block-subheading">.+</h2>', section)


def test_recommendations_are_highlighted_with_their_number(client):
    block = _first_block(BlockKind.RECOMMENDATION)
    section = _block_html(client, block)
    label = f"Recommandation n° {block.number}" if block.number else "Recommandation"
    assert 'class="block-label"' in section
    assert label in plain(section)


def test_acronyms_are_explained_with_abbr_in_the_text(client):
    version = _current_version()
    acronyms = db.session.scalars(sa.select(Acronym)).all()
    blocks = db.session.scalars(sa.select(Block).filter_by(version_id=version.id)
                                .order_by(Block.id)).all()  # fmt: skip
    found = next(
        ((block, acronym) for block in blocks for acronym in acronyms
         if re.search(rf"(?<!\w){re.escape(acronym.abbreviation)}(?!\w)", block.text)),
        None,
    )  # fmt: skip
    assert found is not None
    block, acronym = found
    html = page_text(get(client, f"/texte/chapitre/{block.chapter.anchor}"))
    section = html.split(f'id="{block.anchor}"', 1)[1].split('class="text-block', 1)[0]
    assert f'<abbr title="{escape(acronym.meaning)}">{acronym.abbreviation}</abbr>' in section


def test_chapters_link_to_their_neighbours(client):
    version = _current_version()
    parts = db.session.scalars(
        sa.select(Part).filter_by(version_id=version.id).order_by(Part.position)
    ).all()
    anchors = [c.anchor for p in parts for c in p.chapters]
    assert len(anchors) >= 2
    first = page_text(get(client, f"/texte/chapitre/{anchors[0]}"))
    assert f'href="/texte/chapitre/{anchors[1]}" rel="next"' in first
    assert 'rel="prev"' not in first
    second = page_text(get(client, f"/texte/chapitre/{anchors[1]}"))
    assert f'href="/texte/chapitre/{anchors[0]}" rel="prev"' in second


def test_the_glossary_lists_acronyms_and_shows_corrections(client):
    html = page_text(get(client, "/texte/glossaire"))
    acronyms = db.session.scalars(sa.select(Acronym).order_by(Acronym.abbreviation)).all()
    assert acronyms
    listed = re.findall(r'<dt><abbr title="[^"]*">([^<]+)</abbr></dt>', html)
    assert listed == [a.abbreviation for a in acronyms]
    corrected = [a for a in acronyms if a.is_corrected]
    assert corrected
    for acronym in corrected:
        entry = html.split(f'id="sigle-{acronym.abbreviation}"', 1)[1].split("</div>", 1)[0]
        assert str(escape(acronym.corrected_expansion)) in entry
        assert f"Corrigé : le document source indique « {acronym.expansion} »" in plain(entry)
        if acronym.correction_note:
            assert acronym.correction_note in plain(entry)


# --- errors and languages -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["/groupes/99", "/calendrier/999999", "/contributions/999999",
            "/texte/chapitre/inconnu", "/page-inexistante"],
)  # fmt: skip
def test_unknown_pages_answer_404_in_french(client, url):
    response = get(client, url)
    assert response.status_code == 404
    html = page_text(response)
    assert '<html lang="fr">' in html
    assert "<h1" in html and "Page introuvable" in html
    assert 'href="/"' in html and "Retour à l’accueil" in html


@pytest.fixture(scope="module")
def english_catalogue():
    """Compile the English catalogue if ``make translations`` has not (the .mo is not in Git)."""
    from pathlib import Path

    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    folder = Path(__file__).resolve().parents[2] / "translations" / "en" / "LC_MESSAGES"
    po, mo = folder / "messages.po", folder / "messages.mo"
    if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
        with po.open("rb") as source:
            catalogue = read_po(source, locale="en")
        with mo.open("wb") as target:
            write_mo(target, catalogue)
    return mo


def test_lang_en_gives_english_navigation_and_sticks(client, english_catalogue):
    response = get(client, "/?lang=en")
    html = page_text(response)
    assert '<html lang="en">' in html
    for label in ("Home", "Working groups", "Calendar", "The text", "Glossary", "Log in"):
        assert f">{label}</a>" in html
    assert "Current phase:" in plain(html)
    assert "lang=en" in response.headers["Set-Cookie"]
    # The choice is kept by the cookie on the next page, and the footer switches back.
    again = page_text(get(client, "/groupes/"))
    assert '<html lang="en">' in again
    assert 'href="/groupes/?lang=fr"' in again
    back = page_text(get(client, "/groupes/?lang=fr"))
    assert '<html lang="fr">' in back and ">Groupes de travail</a>" in back


def test_error_pages_are_translated(client, english_catalogue):
    html = page_text(get(client, "/groupes/99?lang=en"))
    assert "Page not found" in html and "Back to the home page" in html


def test_the_footer_offers_both_languages(client):
    html = page_text(get(client, "/calendrier/?type=hearing"))
    footer = html.split("<footer", 1)[1]
    assert 'href="/calendrier/?type=hearing&amp;lang=en" lang="en" hreflang="en"' in footer
    assert 'lang="fr" hreflang="fr" aria-current="true"' in footer
