"""An amendment in a real browser, at 1280 px and on a phone (390 px): written on the chapter page,
co-signed by a second member, declared admissible and adopted by the pilot the chapter is assigned to.

Every page of the journey passes axe-core (WCAG 2.1 A/AA), is no wider than the screen and is
photographed (``test-artifacts/amend-*.png``). The fixture opens the amendment phase (forced),
assigns the chapter to working group 1 (whose pilot is ``demo.pilote``) and asks for one
co-signature; it puts everything back afterwards.
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from convention.extensions import db
from seed.demo import DEMO_PASSWORD
from tests.e2e.a11y import a11y_page, axe_path, check_page

pytestmark = pytest.mark.e2e

MEMBER = "demo.militant@exemple.fr"
COSIGNER = "demo.section@exemple.fr"
PILOT = "demo.pilote@exemple.fr"
COMMITTEE = "demo.comite@exemple.fr"
NEW_WORD = "résolument"
RATIONALE = "Le paragraphe gagne en **clarté** : un mot plus juste, sans changer le sens."


def _user(email):
    from convention.members.models import User

    return db.session.scalars(sa.select(User).where(User.email == email)).one()


def _paragraph(version):
    """The first chapter's first paragraph long enough to span three lines, and a word to replace in it."""
    from convention.texts.models import Block, BlockKind, Chapter, Part

    blocks = db.session.scalars(
        sa.select(Block)
        .join(Chapter, Block.chapter_id == Chapter.id)
        .join(Part, Chapter.part_id == Part.id)
        .where(Block.version_id == version.id, Block.kind == BlockKind.PARAGRAPH)
        .order_by(Part.position, Chapter.position, Block.position)
    )
    for block in blocks:
        if block.line_end - block.line_start < 2:
            continue
        words = block.text.split()
        middle = words[len(words) // 3 :]
        for word in middle:
            if re.fullmatch(r"[a-zàâçéèêëîïôûùüÿœ]{6,}", word) and block.text.split().count(word) == 1:
                return block, word
    raise AssertionError("the seeded text has no paragraph to amend")


@pytest.fixture()
def amendment_phase(seeded, app):
    from convention.amendments import operations
    from convention.amendments.models import (
        Amendment,
        AmendmentCluster,
        AmendmentCosignature,
        AmendmentStep,
        ChapterAssignment,
    )
    from convention.conventions.models import Convention
    from convention.domain.phases import PhaseKind
    from convention.groups.models import WorkingGroup
    from convention.notifications.models import Notification
    from convention.search.models import SearchDocument, SearchKind
    from convention.texts import queries as text_queries

    with app.app_context():
        convention = db.session.scalars(sa.select(Convention)).first()
        text = text_queries.get_main_text(convention.id)
        block, word = _paragraph(text.current_version)
        chapter = block.chapter
        group = db.session.scalars(
            sa.select(WorkingGroup).where(WorkingGroup.convention_id == convention.id, WorkingGroup.number == 1)
        ).one()
        before = {
            "override": convention.phase_override,
            "required": convention.amendment_cosignatures_required,
            "assigned": db.session.scalars(
                sa.select(ChapterAssignment.working_group_id).where(
                    ChapterAssignment.convention_id == convention.id,
                    ChapterAssignment.chapter_anchor == chapter.anchor,
                )
            ).first(),
            "notification": db.session.scalar(sa.select(sa.func.max(Notification.id))) or 0,
        }
        convention.phase_override = PhaseKind.AMENDMENTS
        convention.amendment_cosignatures_required = 1
        operations.assign_chapter(_user(COMMITTEE), convention, chapter.anchor, group)
        db.session.commit()
        journey = {
            "convention_id": convention.id,
            "text_id": text.id,
            "chapter_anchor": chapter.anchor,
            "chapter_title": chapter.title,
            "block_anchor": block.anchor,
            "word": word,
        }
        db.session.remove()
    yield journey
    with app.app_context():
        convention = db.session.get(Convention, journey["convention_id"])
        ids = db.session.scalars(sa.select(Amendment.id).where(Amendment.text_id == journey["text_id"])).all()
        if ids:
            db.session.execute(sa.delete(AmendmentStep).where(AmendmentStep.amendment_id.in_(ids)))
            db.session.execute(sa.delete(AmendmentCosignature).where(AmendmentCosignature.amendment_id.in_(ids)))
            db.session.execute(
                sa.delete(SearchDocument).where(
                    SearchDocument.kind == SearchKind.AMENDMENT, SearchDocument.object_id.in_(ids)
                )
            )
            db.session.execute(sa.update(Amendment).where(Amendment.id.in_(ids)).values(merged_into_id=None))
            db.session.execute(sa.delete(Amendment).where(Amendment.id.in_(ids)))
        db.session.execute(sa.delete(AmendmentCluster).where(AmendmentCluster.text_id == journey["text_id"]))
        db.session.execute(sa.delete(Notification).where(Notification.id > before["notification"]))
        previous = db.session.get(WorkingGroup, before["assigned"]) if before["assigned"] else None
        operations.assign_chapter(_user(COMMITTEE), convention, journey["chapter_anchor"], previous)
        convention.phase_override = before["override"]
        convention.amendment_cosignatures_required = before["required"]
        db.session.commit()
        db.session.remove()


def _log_in(page, live_url: str, email: str) -> None:
    page.goto(live_url + "/compte/connexion")
    page.get_by_label("Adresse électronique").fill(email)
    page.get_by_label("Mot de passe").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url("**/compte/")


def _in_viewport(page, element_id: str) -> bool:
    return page.evaluate(
        """id => { const box = document.getElementById(id).getBoundingClientRect();
                   return box.top >= 0 && box.bottom <= window.innerHeight && box.height > 0; }""",
        element_id,
    )


@pytest.mark.parametrize("width", [1280, 390])
def test_an_amendment_is_written_cosigned_found_admissible_and_adopted(app, live_url, browser, amendment_phase, width):
    from playwright.sync_api import expect

    axe_path()
    journey = amendment_phase
    word = journey["word"]
    errors: list[str] = []
    contexts = []

    def new_page():
        context, page = a11y_page(browser, width, errors)
        contexts.append(context)
        return page

    try:
        # --- the member: from the navigation to the chapter, « Amender » under the paragraph --------
        page = new_page()
        _log_in(page, live_url, MEMBER)
        nav = page.get_by_role("navigation", name="Navigation principale")
        if width < 1200:
            nav.get_by_role("button", name="Menu").click()
        nav.get_by_role("link", name="Le texte", exact=True).click()
        page.wait_for_url("**/texte/")
        check_page(page, f"amend-text-{width}")
        page.locator(".toc-chapters a", has_text=journey["chapter_title"]).first.click()
        page.wait_for_url(f"**/texte/chapitre/{journey['chapter_anchor']}")
        expect(page.get_by_text("Le dépôt des amendements est ouvert")).to_be_visible()
        check_page(page, f"amend-chapter-{width}")

        paragraph = page.locator(f"[id='{journey['block_anchor']}']")
        paragraph.get_by_role("link", name=re.compile(r"^Amender les lignes")).click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Amender un paragraphe")
        check_page(page, f"amend-editor-{width}")

        editor = page.get_by_label("Le paragraphe, tel que vous proposez de l’écrire")
        original = editor.input_value()
        assert original.split().count(word) == 1
        editor.fill(re.sub(rf"(?<!\w){re.escape(word)}(?!\w)", NEW_WORD, original, count=1))
        page.get_by_label("Exposé des motifs").fill(RATIONALE)
        page.get_by_role("button", name="Voir l’amendement").click()

        # --- the preview: the computed citation and the diff, then the deposit ----------------------------
        expect(page.get_by_role("heading", name="Votre amendement")).to_be_visible()
        citation = page.locator(".amend-citation")
        expect(citation).to_have_text(
            re.compile(rf"^À la ligne \d+, remplacer le mot « {word} » par le mot « {NEW_WORD} »\.$")
        )
        line = int(re.search(r"ligne (\d+)", citation.inner_text()).group(1))
        diff = page.get_by_role("group", name="Le paragraphe avec votre modification")
        expect(diff.locator("del")).to_have_text(f"[supprimé : {word}]")
        expect(diff.locator("ins")).to_have_text(f"[ajouté : {NEW_WORD}]")
        check_page(page, f"amend-preview-{width}")
        page.get_by_role("button", name="Déposer l’amendement").click()

        page.wait_for_url(re.compile(r"/amendements/\d+$"))
        amendment_url = page.url
        expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Amendement n° \d+$"))
        expect(page.get_by_text(re.compile(r"Votre amendement n° \d+ a été déposé"))).to_be_visible()
        expect(page.locator(".facts")).to_contain_text("Déposé")
        expect(page.locator(".prose strong")).to_have_text("clarté")
        check_page(page, f"amend-submitted-{width}")

        # « #L<n> » on the chapter page scrolls to the line.
        page.get_by_role("link", name=re.compile(re.escape(journey["chapter_title"][:30]))).first.click()
        page.wait_for_url(f"**/texte/chapitre/{journey['chapter_anchor']}#L{line}")
        expect(page.locator(f"#L{line}")).to_contain_text(word)
        # The line may already be in view before the browser scrolls to the anchor (a short line near the top
        # at 1280 px): wait for the scroll itself, not only for the line to be visible.
        page.wait_for_function(
            "id => { const b = document.getElementById(id).getBoundingClientRect(); "
            "return window.scrollY > 0 && b.top >= 0 && b.bottom <= window.innerHeight; }",
            arg=f"L{line}",
        )
        assert _in_viewport(page, f"L{line}")
        assert page.evaluate("window.scrollY") > 0
        expect(page.locator(f"[id='{journey['block_anchor']}'] .amend-count")).to_have_text(
            re.compile(r"^1 amendement")
        )
        page.context.close()

        # --- a second member co-signs ---------------------------------------------------------------------
        page = new_page()
        _log_in(page, live_url, COSIGNER)
        page.goto(amendment_url)
        expect(page.locator(".facts")).to_contain_text("0 cosignature")
        page.get_by_role("button", name="Cosigner cet amendement").click()
        expect(page.get_by_text(re.compile(r"Vous cosignez l’amendement n° \d+\."))).to_be_visible()
        expect(page.locator(".facts")).to_contain_text("1 cosignature")
        check_page(page, f"amend-cosigned-{width}")
        page.context.close()

        # --- the pilot: admissible, then adopted --------------------------------------------------------
        page = new_page()
        _log_in(page, live_url, PILOT)
        page.goto(amendment_url)
        page.get_by_role("link", name="Examiner", exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Examiner l’amendement n° \d+$"))
        check_page(page, f"amend-review-admissibility-{width}")
        page.get_by_label("Recevable", exact=True).check()
        page.get_by_label("Raison").fill("Le mot proposé reste dans le champ du chapitre.")
        page.get_by_role("button", name="Enregistrer la recevabilité").click()
        page.wait_for_url(amendment_url)
        expect(page.locator(".facts")).to_contain_text("Recevable")

        page.get_by_role("link", name="Examiner", exact=True).click()
        expect(page.get_by_role("heading", name="Décision")).to_be_visible()
        check_page(page, f"amend-review-decision-{width}")
        page.get_by_label("Adopté", exact=True).check()
        page.get_by_label("Motif de la décision").fill("Le groupe de travail retient cette rédaction.")
        page.get_by_role("button", name="Enregistrer la décision").click()
        page.wait_for_url(amendment_url)
        page.context.close()

        # --- anyone: the public page shows the decision and its history ------------------------------------
        page = new_page()
        page.goto(amendment_url)
        expect(page.locator(".facts .badge")).to_have_text("Adopté")
        history = page.get_by_role("region", name="Historique").get_by_role("listitem")
        expect(history).to_have_count(3)
        expect(history.nth(0)).to_contain_text("Déposé")
        expect(history.nth(1)).to_contain_text("Déclaré recevable")
        expect(history.nth(1)).to_contain_text("Le mot proposé reste dans le champ du chapitre.")
        expect(history.nth(2)).to_contain_text("Adopté")
        expect(history.nth(2)).to_contain_text("Le groupe de travail retient cette rédaction.")
        expect(page.get_by_role("button", name="Cosigner cet amendement")).to_have_count(0)
        check_page(page, f"amend-adopted-{width}")

        page.goto(live_url + "/amendements/")
        item = page.locator(".amend-list > li").filter(has_text=NEW_WORD)
        expect(item).to_have_count(1)
        expect(item.locator(".badge")).to_have_text("Adopté")
        check_page(page, f"amend-list-{width}")
        assert errors == [], "\n".join(errors)

        # --- the same pages under the site's CSP (the axe contexts bypass it): no console error -------------
        strict = browser.new_context(viewport=page.viewport_size, locale="fr-FR", timezone_id="Europe/Paris")
        contexts.append(strict)
        page = strict.new_page()
        page.on("console", lambda msg: errors.append(f"{page.url}: {msg.text}") if msg.type == "error" else None)
        page.on("pageerror", lambda error: errors.append(f"{page.url}: {error}"))
        _log_in(page, live_url, MEMBER)
        for path in (
            f"/texte/chapitre/{journey['chapter_anchor']}",
            f"/amendements/nouveau?bloc={journey['block_anchor']}&type=modifier",
            amendment_url.removeprefix(live_url),
            "/amendements/",
        ):
            page.goto(live_url + path)
            page.wait_for_load_state("load")
        assert errors == [], "\n".join(errors)
    finally:
        for context in contexts:
            try:
                context.close()
            except Exception:  # already closed
                pass
