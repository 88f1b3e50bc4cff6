"""Consolidation in a real browser: the committee writes version 2 from two adopted amendments, a member
reads it with each changed paragraph's « Modifié par l'amendement n° … », then the difference 1 → 2.

The fixture forces the amendment phase on the seeded convention and adopts, through the operations,
two amendments on two paragraphs of one chapter. The consolidation page, the chapter page of version 2
and the difference page pass axe-core (WCAG 2.1 A/AA) and are no wider than the screen, at 1280 px;
the member's part is run again at 390 px (``test-artifacts/consol-*.png``).

Data: the module's ``seeded`` convention. Version 2 cannot be undone row by row without reaching into
every table the consolidation writes (versions, parts, chapters, blocks, proposals, block_amendment,
jobs, notifications, search documents…), so this module keeps the seeded data to itself: the
``seeded`` fixture is module-scoped and empties every table when the module ends, and every other
module seeds its own data again (or starts from the ``database`` fixture's empty tables). The phase
and the co-signature threshold are nevertheless put back after the journey.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa

from convention.extensions import db
from seed.demo import DEMO_PASSWORD
from tests.e2e.a11y import a11y_page, axe_path, check_page

pytestmark = pytest.mark.e2e

MEMBER = "demo.militant@exemple.fr"
COMMITTEE = "demo.comite@exemple.fr"
NEW_WORDS = ("résolument", "pleinement")
WORD = re.compile(r"[a-zàâçéèêëîïôûùüÿœ]{7,}")


def _user(email):
    from convention.members.models import User

    return db.session.scalars(sa.select(User).where(User.email == email)).one()


def _two_paragraphs(version):
    """A chapter with two paragraphs that each have a word of their own: [(block, word), (block, word)]."""
    from convention.texts.models import Block, BlockKind, Chapter, Part

    blocks = db.session.scalars(
        sa.select(Block)
        .join(Chapter, Block.chapter_id == Chapter.id)
        .join(Part, Chapter.part_id == Part.id)
        .where(Block.version_id == version.id, Block.kind == BlockKind.PARAGRAPH)
        .order_by(Part.position, Chapter.position, Block.position)
    ).all()
    by_chapter: dict[int, list] = {}
    for block in blocks:
        words = block.text.split()
        for word in words[len(words) // 3 :]:
            if WORD.fullmatch(word) and words.count(word) == 1 and block.text.count(word) == 1:
                by_chapter.setdefault(block.chapter_id, []).append((block, word))
                break
        if len(by_chapter.get(block.chapter_id, [])) == 2:
            return by_chapter[block.chapter_id]
    raise AssertionError("the seeded text has no chapter with two paragraphs to amend")


@pytest.fixture(scope="module")
def consolidation_journey(seeded, app):
    from convention.amendments import operations as ops
    from convention.conventions.models import Convention
    from convention.domain.amendments import AmendmentStatus
    from convention.domain.phases import PhaseKind
    from convention.texts import queries as text_queries

    today = dt.date.today()
    with app.app_context():
        convention = db.session.scalars(sa.select(Convention)).first()
        text = text_queries.get_main_text(convention.id)
        version = text.current_version
        assert version.number == 1
        before = {"override": convention.phase_override, "required": convention.amendment_cosignatures_required}
        convention.phase_override = PhaseKind.AMENDMENTS
        convention.amendment_cosignatures_required = 0
        db.session.flush()
        member, committee = _user(MEMBER), _user(COMMITTEE)
        adopted = []
        for (block, word), new_word in zip(_two_paragraphs(version), NEW_WORDS, strict=True):
            edited = re.sub(rf"(?<!\w){re.escape(word)}(?!\w)", new_word, block.text, count=1)
            data = ops.AmendmentData(
                requested=ops.RequestedKind.EDIT, edited=edited, rationale="Un mot plus juste, le même sens."
            )
            amendment = ops.submit_amendment(member, convention, version, block, data, today=today)
            ops.declare_admissibility(committee, amendment, True, "Dans le champ du chapitre.", today=today)
            ops.decide_amendment(
                committee, amendment, AmendmentStatus.ADOPTED, "Le comité retient cette rédaction.", today=today
            )
            adopted.append(
                {
                    "id": amendment.id,
                    "number": amendment.number,
                    "anchor": block.anchor,
                    "word": word,
                    "new": new_word,
                }
            )
        chapter = block.chapter
        journey = {
            "convention_id": convention.id,
            "text_id": text.id,
            "chapter_anchor": chapter.anchor,
            "chapter_title": chapter.title,
            "amendments": adopted,
        }
        db.session.commit()
        db.session.remove()
    yield journey
    with app.app_context():
        convention = db.session.get(Convention, journey["convention_id"])
        if convention is not None:
            convention.phase_override = before["override"]
            convention.amendment_cosignatures_required = before["required"]
            db.session.commit()
        db.session.remove()
    # ``seeded`` (module scope) empties every table after this module: version 2 and all it wrote go too.


def _log_in(page, live_url: str, email: str) -> None:
    page.goto(live_url + "/compte/connexion")
    page.get_by_label("Adresse électronique").fill(email)
    page.get_by_label("Mot de passe").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url("**/compte/")


def _member_reads_version_2(page, live_url, journey, width):
    from playwright.sync_api import expect

    anchor = journey["chapter_anchor"]
    _log_in(page, live_url, MEMBER)
    page.goto(live_url + "/texte/")
    expect(page.locator("main")).to_contain_text("Version 2")
    page.locator(".toc-chapters a", has_text=journey["chapter_title"]).first.click()
    page.wait_for_url(f"**/texte/chapitre/{anchor}")
    expect(page.locator("main")).to_contain_text("Version 2")
    for amendment in journey["amendments"]:
        paragraph = page.locator(f"[id='{amendment['anchor']}']")
        expect(paragraph).to_contain_text(amendment["new"])
        expect(paragraph).not_to_contain_text(amendment["word"])
        provenance = paragraph.locator(".block-amendments")
        expect(provenance).to_contain_text(re.compile(r"(Modifié|Inséré) par"))
        link = provenance.get_by_role("link", name=f"l'amendement n° {amendment['number']}")
        expect(link).to_have_attribute("href", f"/amendements/{amendment['id']}")
    check_page(page, f"consol-chapter-v2-{width}")

    page.get_by_role("link", name="Toutes les versions").first.click()
    page.wait_for_url("**/texte/versions/")
    expect(page.get_by_role("heading", name=re.compile(r"^Version 2"))).to_be_visible()
    page.get_by_role("link", name="Ce qui a changé depuis la version 1").first.click()
    page.wait_for_url(re.compile(r"/texte/versions/difference\?"))
    page.goto(f"{live_url}/texte/versions/difference?de=1&a=2&chapitre={anchor}")
    expect(page.locator("#titre-chapitre")).to_contain_text(journey["chapter_title"])
    for amendment in journey["amendments"]:
        block = page.locator(f"[id='diff-{amendment['anchor']}']")
        expect(block.locator(".badge")).to_have_text("Alinéa modifié")
        expect(block.locator("del")).to_contain_text(amendment["word"])
        expect(block.locator("ins")).to_contain_text(amendment["new"])
        link = block.get_by_role("link", name=f"l'amendement n° {amendment['number']}")
        expect(link).to_have_attribute("href", f"/amendements/{amendment['id']}")
    check_page(page, f"consol-difference-{width}")


def test_the_committee_consolidates_and_the_member_reads_version_2_and_the_difference(
    app, live_url, browser, consolidation_journey
):
    from playwright.sync_api import expect

    axe_path()
    journey = consolidation_journey
    errors: list[str] = []
    contexts = []

    def new_page(width):
        context, page = a11y_page(browser, width, errors)
        contexts.append(context)
        return page

    try:
        # --- the committee: « Examen des amendements » → « Consolider le texte » → the job ---------------
        page = new_page(1280)
        _log_in(page, live_url, COMMITTEE)
        page.goto(live_url + "/amendements/")
        page.get_by_role("link", name="Examen des amendements").first.click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Examen des amendements")
        page.get_by_role("link", name="Consolider le texte", exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Consolider le texte")
        expect(page.get_by_role("heading", name="2 amendements adoptés")).to_be_visible()
        expect(page.locator(".consolidation-conflicts")).to_have_count(0)
        for amendment in journey["amendments"]:
            expect(page.locator("table").get_by_role("link", name=str(amendment["number"]), exact=True)).to_be_visible()
        check_page(page, "consol-page-1280")
        page.get_by_role("button", name="Consolider le texte : écrire la version 2").click()
        page.wait_for_url(re.compile(r"/travaux/\d+$"))
        expect(page.locator(".job-state-label")).to_have_text("Terminé", timeout=90_000)
        expect(page.get_by_role("status").filter(has_text="Version 2 du texte écrite")).to_be_visible()
        check_page(page, "consol-job-1280")
        page.context.close()

        # --- the member, at 1280 px then on a phone --------------------------------------------------------
        for width in (1280, 390):
            page = new_page(width)
            _member_reads_version_2(page, live_url, journey, width)
            page.context.close()
        assert errors == [], "\n".join(errors)
    finally:
        for context in contexts:
            try:
                context.close()
            except Exception:  # already closed
                pass
