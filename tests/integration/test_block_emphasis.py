"""``Block.emphasis``: the bold and italic words of an imported version stored beside its plain text.

The writer stores the parser's spans as JSON (NULL when a block has none), keeps the text and
the line numbers exactly as without them, drops a span that does not fit its text, and the PDF
export's chapter prints them as the site does.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import current_app

from convention.conventions.models import Convention
from convention.domain.textimport import parse_markdown
from convention.domain.textstructure import BlockKind
from convention.texts import export
from convention.texts.models import Block, Text
from convention.texts.operations import ImportedBlockRecord, import_text_version, write_text_version
from seed.records import BlockRecord, ChapterRecord, PartRecord

LONG = (
    "La fidélisation des forces de sécurité intérieure est **essentielle pour maintenir une force "
    "de sécurité motivée**, efficace et engagée, avec une juste rémunération."
)
MARKDOWN = f"""\
# I. Une police républicaine

## 1. Fidéliser les forces

{LONG}

Les socialistes proposent :

- Assurer une **juste** rémunération <b>& des primes</b>.
- Améliorer les conditions de travail.
"""


@pytest.fixture()
def convention(database):
    convention = Convention(slug="securite", title="Sécurité et prévention", short_title="Sécurité")
    database.session.add(convention)
    database.session.commit()
    return convention


def test_an_import_stores_the_bold_words_as_offsets_and_keeps_the_text_and_its_lines(database, convention):
    parsed = parse_markdown(MARKDOWN)
    version = import_text_version(None, convention, parsed, label="Projet", line_length=40, notify=False)
    database.session.commit()
    database.session.expire_all()
    stored = database.session.scalars(
        sa.select(Block).where(Block.version_id == version.id).order_by(Block.line_start)
    ).all()
    paragraph, intro, first, second = stored
    assert paragraph.text == LONG.replace("**", "")
    assert [paragraph.text[s:e] for s, e, _kind in paragraph.emphasis] == [
        "essentielle pour maintenir une force de sécurité motivée"
    ]
    assert paragraph.emphasis[0][2] == "strong"
    assert first.kind == BlockKind.PROPOSAL and first.text == "Assurer une juste rémunération <b>& des primes</b>."
    assert [first.text[s:e] for s, e, _kind in first.emphasis] == ["juste"]
    # No emphasis: SQL NULL, not a JSON « null » nor an empty list.
    assert intro.emphasis is None and second.emphasis is None
    assert (
        database.session.scalar(
            sa.select(sa.func.count())
            .select_from(Block)
            .where(Block.version_id == version.id, Block.emphasis.is_(None))
        )
        == 2
    )

    # The same words written without emphasis number the same lines.
    plain = Text(convention_id=convention.id, slug="sans-gras", title="Sans gras")
    records = (
        PartRecord("I", "Une police républicaine", (ChapterRecord("1", "Fidéliser les forces", tuple(
            BlockRecord(b.kind.value, b.text, b.number) for b in stored
        )),)),
    )  # fmt: skip
    twin = write_text_version(plain, records, label="Sans gras", line_length=40, notify=False)
    twin_blocks = database.session.scalars(
        sa.select(Block).where(Block.version_id == twin.id).order_by(Block.line_start)
    ).all()
    assert [(b.text, b.line_start, b.line_end) for b in twin_blocks] == [
        (b.text, b.line_start, b.line_end) for b in stored
    ]
    crossing = [line for line in paragraph.numbered_lines(40) if any(piece.strong for piece in line.pieces)]
    assert len(crossing) >= 2  # the bold words run over line ends
    assert all(b.emphasis is None for b in twin_blocks)


def test_the_writer_keeps_only_the_spans_that_fit_their_text(database, convention):
    text = Text(convention_id=convention.id, slug="texte", title="Texte")
    records = (
        PartRecord("I", "Partie", (ChapterRecord("1", "Chapitre", (
            ImportedBlockRecord("paragraph", "Un mot gras.", emphasis=((3, 6, "strong"), (0, 99, "em"), (4, 2, "em"))),
            ImportedBlockRecord("paragraph", "Rien.", emphasis=((0, 5, "souligné"),)),
        )),)),
    )  # fmt: skip
    version = write_text_version(text, records, label="V1", line_length=80, notify=False)
    database.session.commit()
    database.session.expire_all()
    first, second = database.session.scalars(
        sa.select(Block).where(Block.version_id == version.id).order_by(Block.position)
    ).all()
    assert first.emphasis == [[3, 6, "strong"]]
    assert second.emphasis is None


def test_the_pdf_chapter_prints_bold_words_escaped_like_every_other_word(database, convention):
    version = import_text_version(None, convention, parse_markdown(MARKDOWN), label="Projet", line_length=40,
                                  notify=False)  # fmt: skip
    database.session.commit()
    chapter = version.parts[0].chapters[0]
    html = current_app.jinja_env.get_template(export.CHAPTER_TEMPLATE).render(
        chapter=chapter, BlockKind=BlockKind, line_length=version.line_length
    )
    assert "<strong>juste</strong>" in html
    assert "&lt;b&gt;&amp;" in html and "primes&lt;/b&gt;." in html and "<b>" not in html
    # The bold run crosses a line end: one <strong> on each line, the line numbers unchanged.
    paragraph = chapter.blocks[0]
    lines = paragraph.numbered_lines(version.line_length)
    assert len(lines) == paragraph.line_end - paragraph.line_start + 1
    strong_lines = [line.number for line in lines if any(piece.strong for piece in line.pieces)]
    assert len(strong_lines) >= 2
    for number in strong_lines:
        printed = html.split(f'<span class="ln">{number}</span>', 1)[1].split("</p>", 1)[0]
        assert "<strong>" in printed
