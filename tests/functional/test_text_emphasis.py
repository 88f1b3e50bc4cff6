"""A Word document's bold and italic words, published through the versions upload, shown on the chapter
page inside the numbered lines, the lines and the text being those of the same document without
them; an amendment on a bold word quotes the plain text. And who sees « Importer une nouvelle
version » on the text page.
"""

from __future__ import annotations

import html as htmllib
import io
import re

import pytest
import sqlalchemy as sa

from convention.amendments.models import Amendment
from convention.amendments.rendering import numbered_lines
from convention.conventions.models import Convention
from convention.domain.documents import import_document
from convention.domain.phases import PhaseKind
from convention.domain.roles import Role
from convention.domain.textstructure import number_lines
from convention.extensions import db
from convention.texts.models import Block, TextVersion
from tests.amendment_fixtures import build_world, log_in, preview_key
from tests.auth_fixtures import make_user
from tests.convention_fixtures import PUBLISHED  # conventions made here are published

UPLOAD = "/texte/versions/nouvelle"
PUBLISH = "/texte/versions/nouvelle/publier"
NEW = "/amendements/nouveau?bloc={anchor}&type=modifier"
IMPORT_LINK = "Importer une nouvelle version (DOCX, ODT, PDF, texte)"

# The paragraph's runs: (text, "strong" | "em" | ""). Long enough to run over several lines, with a
# bold run that crosses a line end and one made of characters that must be shown, never interpreted.
PARAGRAPH = [
    ("Les socialistes veulent une ", ""),
    ("police de proximité", "strong"),
    (" présente dans chaque quartier, ", ""),
    ("au plus près", "em"),
    (" des habitants, avec des effectifs ", ""),
    ("stables, formés et reconnus pour durer dans le temps et dans les territoires", "strong"),
    (", et une charte ", ""),
    ("<script>alert(1)</script> & Cie", "strong"),
    (" affichée dans chaque commissariat.", ""),
]
ITEM = [("Recruter", "strong"), (" dix mille policiers de proximité en cinq ans.", "")]


def build_docx(formatted: bool) -> bytes:
    import docx

    document = docx.Document()
    document.add_paragraph("Projet de texte", style="Title")
    document.add_heading("Prévenir", level=1)
    document.add_heading("La police de proximité", level=2)

    def add(paragraph, runs):
        for text, kind in runs:
            run = paragraph.add_run(text)
            if formatted and kind == "strong":
                run.bold = True
            elif formatted and kind == "em":
                run.italic = True

    add(document.add_paragraph(), PARAGRAPH)
    document.add_paragraph("Les socialistes proposent :")
    add(document.add_paragraph(style="List Bullet"), ITEM)
    document.add_heading("Protéger", level=1)
    document.add_heading("La justice", level=2)
    document.add_paragraph("La justice des mineurs reste éducative.")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def marked(runs) -> str:
    """The runs' words with [[bold]] and {{italic}} markers."""
    marks = {"strong": ("[[", "]]"), "em": ("{{", "}}"), "": ("", "")}
    return "".join(f"{marks[kind][0]}{text}{marks[kind][1]}" for text, kind in runs)


@pytest.fixture()
def world(database, app):
    return build_world(PhaseKind.AMENDMENTS)


def page(response) -> str:
    return response.get_data(as_text=True)


def publish(client, data: bytes, name: str = "projet.docx") -> TextVersion:
    response = client.post(UPLOAD, data={"file": (io.BytesIO(data), name), "format": "auto"},
                           content_type="multipart/form-data")  # fmt: skip
    assert response.status_code == 200, page(response)
    token = re.search(r'name="upload" type="hidden" value="([^"]+)"', page(response)).group(1)
    published = client.post(PUBLISH, data={"upload": token, "status": "amended", "label": ""})
    assert published.status_code == 302, page(published)
    db.session.expire_all()
    return db.session.scalars(sa.select(TextVersion).order_by(TextVersion.number.desc()).limit(1)).one()


def page_lines(html: str, block_anchor: str) -> list[tuple[int, str]]:
    """(number, inner HTML) of each numbered line of a block of the chapter page."""
    start = html.index(f'id="{block_anchor}"')
    end = html.index('<div class="text-block', start + 1) if '<div class="text-block' in html[start + 1 :] else None
    block = html[start:end]
    return [
        (int(number), inner)
        for number, inner in re.findall(
            r'<span class="line" id="L(\d+)"><a class="ln"[^>]*>\d+</a>(.*?)</span>', block, flags=re.S
        )
    ]


def as_marked(lines: list[tuple[int, str]]) -> str:
    """The block's words as the page shows them, with [[bold]] and {{italic}} markers (over line ends)."""
    shown = []
    for _number, inner in lines:
        assert not re.search(r"<(?!/?(strong|em|abbr)\b)", inner), inner  # no other tag from the document
        text = inner.replace("<strong>", "[[").replace("</strong>", "]]").replace("<em>", "{{").replace("</em>", "}}")
        shown.append(htmllib.unescape(re.sub(r"</?abbr[^>]*>", "", text)))
    return " ".join(shown).replace("]] [[", " ").replace("}} {{", " ")


def unmarked(text: str) -> str:
    return re.sub(r"\[\[|\]\]|\{\{|\}\}", "", text)


def test_bold_and_italic_words_are_shown_in_the_numbered_lines_of_the_same_text(world, client):
    log_in(client, world.users["national_bureau"])
    version = publish(client, build_docx(formatted=True))
    plain = import_document("projet.docx", build_docx(formatted=False))
    blocks = db.session.scalars(sa.select(Block).where(Block.version_id == version.id).order_by(Block.line_start)).all()

    # The words and the line numbers are those of the same document without emphasis.
    assert [(b.kind.value, b.text) for b in blocks] == [(b.kind, b.text) for b in plain.blocks]
    expected_lines = number_lines([b.text for b in plain.blocks], version.line_length)
    assert [(b.line_start, b.line_end) for b in blocks] == expected_lines
    assert "*" not in "".join(b.text for b in blocks)

    html = page(client.get("/texte/chapitre/I-1"))
    paragraph, _intro, proposal = (b for b in blocks if b.anchor.startswith("I-1-"))
    lines = page_lines(html, paragraph.anchor)
    assert [number for number, _ in lines] == list(range(paragraph.line_start, paragraph.line_end + 1))
    # Each line's words are the plain text's line, to the character; the tags only wrap them.
    assert [unmarked(as_marked([line])) for line in lines] == [
        line.text for line in numbered_lines(paragraph.text, version.line_length, paragraph.line_start)
    ]
    assert as_marked(lines) == marked(PARAGRAPH)
    crossing = [inner for _number, inner in lines if "stables" in inner or "territoires" in inner]
    assert len(crossing) >= 2 and all(inner.count("<strong>") >= 1 for inner in crossing)
    # What the document wrote is shown, never interpreted.
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Cie" in html
    assert as_marked(page_lines(html, proposal.anchor)) == marked(ITEM)
    # The other chapter had no emphasis: no tag in its lines.
    other = page(client.get("/texte/chapitre/II-1"))
    assert "<strong>" not in other.split('class="text-body"', 1)[1].split("</div>\n  </div>", 1)[0]


def test_an_amendment_on_a_bold_word_quotes_and_counts_in_the_plain_text(world, client):
    log_in(client, world.users["national_bureau"])
    version = publish(client, build_docx(formatted=True))
    paragraph = db.session.scalars(
        sa.select(Block).where(Block.version_id == version.id, Block.anchor == "I-1-1")
    ).one()
    html = page(client.get("/texte/chapitre/I-1"))
    bold_line = next(number for number, inner in page_lines(html, "I-1-1") if "<strong>police de proximité" in inner)

    log_in(client, world.users["member_paid"])
    form = page(client.get(NEW.format(anchor="I-1-1")))
    textarea = re.search(r'<textarea[^>]*name="edited"[^>]*>(.*?)</textarea>', form, flags=re.S)
    assert htmllib.unescape(textarea.group(1)).strip() == paragraph.text  # the plain text to edit, no markers
    edited = paragraph.text.replace("proximité", "quotidien", 1)
    shown = client.post(NEW.format(anchor="I-1-1"), data={"edited": edited, "rationale": "Parce que.", "preview": "y"})
    assert shown.status_code == 200, page(shown)
    done = client.post(NEW.format(anchor="I-1-1"), data={"edited": edited, "rationale": "Parce que.", "confirm": "y",
                                                        "preview_key": preview_key(page(shown))})  # fmt: skip
    assert done.status_code == 302, page(done)
    amendment = db.session.scalars(sa.select(Amendment)).one()
    start = paragraph.text.index("proximité")
    assert (amendment.span_start, amendment.span_end) == (start, start + len("proximité"))
    assert amendment.original == "proximité" and amendment.version_id == version.id
    assert (amendment.line_start, amendment.line_end) == (bold_line, bold_line)
    assert amendment.citation == f"À la ligne {bold_line}, remplacer le mot « proximité » par le mot « quotidien »."


# --- the way in: « Importer une nouvelle version » on the text page ---------------------------------------


@pytest.mark.parametrize(
    ("who", "phase", "sees"),
    [
        ("national_bureau", PhaseKind.AMENDMENTS, True),
        ("committee", PhaseKind.CONTRIBUTIONS, True),  # the committee, while the text is drafted
        ("committee", PhaseKind.AMENDMENTS, False),
        ("pilot_this_group", PhaseKind.CONTRIBUTIONS, False),
        ("member_paid", PhaseKind.CONTRIBUTIONS, False),
        ("anonymous", PhaseKind.CONTRIBUTIONS, False),
    ],
)
def test_who_sees_the_import_link_on_the_text_page(database, app, client, who, phase, sees):
    world = build_world(phase)
    if who != "anonymous":
        log_in(client, world.users[who])
    html = page(client.get("/texte/"))
    assert (IMPORT_LINK in html) is sees
    if sees:
        assert f'href="{UPLOAD}"' in html
        assert client.get(UPLOAD).status_code == 200  # and the link leads to a page they may use


def test_the_bureau_sees_the_import_link_before_any_version_exists(database, app, client):
    convention = Convention(published_dt=PUBLISHED, slug="securite", title="Sécurité et prévention", short_title="Sécurité")
    db.session.add(convention)
    bureau = make_user(roles=((Role.NATIONAL_BUREAU, None),))
    member = make_user()
    db.session.commit()
    anonymous = page(client.get("/texte/"))
    assert "pas encore été publié" in anonymous and IMPORT_LINK not in anonymous
    log_in(client, member)
    assert IMPORT_LINK not in page(client.get("/texte/"))
    log_in(client, bureau)
    html = page(client.get("/texte/"))
    assert "pas encore été publié" in html and IMPORT_LINK in html and f'href="{UPLOAD}"' in html
