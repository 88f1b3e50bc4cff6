"""``flask texts import`` and the shared version writer: structure, lines, proposals, refusals."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from convention.conventions.models import Convention
from convention.core.audit import AuditEntry
from convention.domain.textstructure import BlockKind
from convention.texts.models import Block, Chapter, Part, Proposal, Text, TextVersion, VersionStatus
from convention.texts.operations import write_text_version
from seed.records import BlockRecord, ChapterRecord, PartRecord

LONG = (
    "La fidélisation des forces de sécurité intérieure est essentielle pour maintenir une force "
    "de sécurité motivée, efficace et engagée, avec une juste rémunération."
)

MARKDOWN = f"""\
# I. Une police républicaine

## 1. Fidéliser les forces

{LONG}

Les socialistes proposent :

- Assurer une juste rémunération.
- Améliorer les conditions de travail.

RECOMMANDATION N° 1
Réorienter les politiques publiques.

## 2. Proximité

### Un intertitre

- Une puce.

# II. Une justice efficace

## 1. Moyens

Les socialistes proposent :

1. Recruter des magistrats.
"""

PLAIN = """\
INTRODUCTION

Premier paragraphe
du texte.

1 _ LE CONSTAT
Les socialistes proposent :
•  Une seule proposition.

2. Les moyens

Dernier paragraphe.
"""


def count(db, model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


@pytest.fixture()
def convention(database):
    convention = Convention(slug="securite", title="Sécurité et prévention", short_title="Sécurité")
    database.session.add(convention)
    database.session.commit()
    return convention


@pytest.fixture()
def runner(app):
    return app.test_cli_runner()


def write(tmp_path: Path, name: str, content: str | bytes) -> str:
    path = tmp_path / name
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    return str(path)


def test_markdown_import_creates_the_text_and_its_first_version(database, convention, runner, tmp_path):
    result = runner.invoke(args=["texts", "import", write(tmp_path, "projet.md", MARKDOWN), "--convention", "securite"])
    assert result.exit_code == 0, result.output
    assert "Version 1" in result.output and "3 proposition(s)" in result.output
    database.session.expire_all()
    text = database.session.scalar(sa.select(Text))
    assert text.convention_id == convention.id and text.title == "Sécurité et prévention"
    version = text.current_version
    assert (version.number, version.status, version.source) == (1, VersionStatus.DRAFT, "projet.md")
    assert version.line_length == 80
    assert [(p.number, p.title) for p in version.parts] == [
        ("I", "Une police républicaine"),
        ("II", "Une justice efficace"),
    ]
    assert [(c.anchor, c.title) for c in version.parts[0].chapters] == [
        ("I-1", "Fidéliser les forces"),
        ("I-2", "Proximité"),
    ]
    blocks = database.session.scalars(
        sa.select(Block).where(Block.version_id == version.id)
        .join(Block.chapter).join(Chapter.part)
        .order_by(Part.position, Chapter.position, Block.position)
    ).all()  # fmt: skip
    assert [(b.anchor, b.kind) for b in blocks] == [
        ("I-1-1", BlockKind.PARAGRAPH),
        ("I-1-2", BlockKind.PARAGRAPH),
        ("I-1-3", BlockKind.PROPOSAL),
        ("I-1-4", BlockKind.PROPOSAL),
        ("I-1-5", BlockKind.RECOMMENDATION),
        ("I-2-1", BlockKind.SUBHEADING),
        ("I-2-2", BlockKind.LIST_ITEM),
        ("II-1-1", BlockKind.PARAGRAPH),
        ("II-1-2", BlockKind.PROPOSAL),
    ]
    # The long paragraph takes two printed lines at 80 characters; numbering runs on.
    assert [(b.line_start, b.line_end) for b in blocks] == [
        (1, 2), (3, 3), (4, 4), (5, 5), (6, 6), (7, 7), (8, 8), (9, 9), (10, 10),
    ]  # fmt: skip
    assert blocks[4].number == "1" and blocks[4].text == "Réorienter les politiques publiques."
    proposals = database.session.scalars(sa.select(Proposal).order_by(Proposal.id)).all()
    assert [(p.reference, p.rank, p.block.text) for p in proposals] == [
        ("I.1.1", 1, "Assurer une juste rémunération."),
        ("I.1.2", 2, "Améliorer les conditions de travail."),
        ("II.1.1", 1, "Recruter des magistrats."),
    ]
    actions = database.session.scalars(sa.select(AuditEntry.action)).all()
    assert actions == ["text.created", "text_version.created"]


def test_a_second_import_adds_a_version(database, convention, runner, tmp_path):
    path = write(tmp_path, "projet.md", MARKDOWN)
    assert runner.invoke(args=["texts", "import", path]).exit_code == 0
    result = runner.invoke(args=["texts", "import", path, "--label", "Texte amendé", "--status", "amended"])
    assert result.exit_code == 0, result.output
    database.session.expire_all()
    assert count(database, Text) == 1
    versions = database.session.scalars(sa.select(TextVersion).order_by(TextVersion.number)).all()
    assert [(v.number, v.label, v.status) for v in versions] == [
        (1, "Projet de texte (import de projet.md)", VersionStatus.DRAFT),
        (2, "Texte amendé", VersionStatus.AMENDED),
    ]
    # Anchors are per version: the same anchors exist in both.
    anchors = database.session.scalars(sa.select(Block.anchor).where(Block.version_id == versions[1].id))
    assert "II-1-2" in set(anchors)


def test_plain_text_import(database, convention, runner, tmp_path):
    result = runner.invoke(args=["texts", "import", write(tmp_path, "texte.txt", PLAIN)])
    assert result.exit_code == 0, result.output
    database.session.expire_all()
    version = database.session.scalar(sa.select(TextVersion))
    (part,) = version.parts
    assert (part.number, part.title) == ("", "")
    assert [(c.number, c.title, c.anchor) for c in part.chapters] == [
        ("", "INTRODUCTION", "p1-c1"),
        ("1", "LE CONSTAT", "p1-1"),
        ("2", "Les moyens", "p1-2"),
    ]
    first = part.chapters[0].blocks[0]
    assert (first.text, first.line_start, first.line_end) == ("Premier paragraphe du texte.", 1, 1)
    proposal = database.session.scalar(sa.select(Proposal))
    assert proposal.reference == "1.1" and proposal.block.text == "Une seule proposition."


BAD = """\
# I. Partie

## 1. Chapitre

Les socialistes proposent :

Pas de liste ici.

## 2. Vide

## 3. Suite

RECOMMANDATION N° 2
"""


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (BAD, ["ligne 5 : « … proposent : » n'est suivi", "ligne 9 : le chapitre « Vide »",
               "ligne 13 : la recommandation n° 2 n'a pas de texte"]),
        (b"", ["le fichier est vide"]),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", ["le fichier est binaire"]),
        ("# Titre\n\nDéjà vu.\n".encode("latin-1"), ["octet 0xE9 invalide", "(ligne 3)"]),
    ],
    ids=["structure", "empty", "binary", "latin-1"],
)  # fmt: skip
def test_a_bad_file_writes_nothing(database, convention, runner, tmp_path, content, expected):
    result = runner.invoke(args=["texts", "import", write(tmp_path, "mauvais.md", content)])
    assert result.exit_code == 1
    for fragment in expected:
        assert fragment in result.output
    assert "rien n'a été importé" in result.output
    database.session.expire_all()
    assert count(database, Text) == count(database, TextVersion) == count(database, Block) == 0
    assert count(database, AuditEntry) == 0


def test_unknown_convention(database, convention, runner, tmp_path):
    result = runner.invoke(args=["texts", "import", write(tmp_path, "a.md", MARKDOWN), "--convention", "inconnue"])
    assert result.exit_code != 0
    assert "Convention introuvable" in result.output
    assert count(database, Text) == 0


def test_writer_takes_seed_records(database, convention):
    """The seed loader's path: records in, numbered version out, duplicate numbers made unique."""
    text = Text(convention_id=convention.id, slug="texte", title="Texte")
    parts = (
        PartRecord("", "Préambule", (ChapterRecord("", "", (BlockRecord("paragraph", "Avant-propos."),)),)),
        PartRecord(
            "I",
            "Partie",
            (
                ChapterRecord("1", "Un", (BlockRecord("proposal", "P1"), BlockRecord("proposal", "P2", "2"))),
                ChapterRecord("1", "Doublon", (BlockRecord("proposal", "P3"),)),
                ChapterRecord("2", "Deux", (BlockRecord("recommendation", "R", "7"),)),
            ),
        ),
    )
    version = write_text_version(
        text,
        parts,
        label="Projet",
        status=VersionStatus.DRAFT,
        source="seed",
        line_length=80,
        number=1,
    )
    database.session.commit()
    assert version.number == 1 and version.text_id == text.id
    chapters = [c for p in version.parts for c in p.chapters]
    assert [c.anchor for c in chapters] == ["p1-c1", "I-1", "p2-c2", "I-2"]
    references = database.session.scalars(sa.select(Proposal.reference).order_by(Proposal.id)).all()
    assert references == ["I.1.1", "I.1.2", "p2.c2.1"]
    blocks = [b for c in chapters for b in c.blocks]
    assert [b.line_start for b in blocks] == [1, 2, 3, 4, 5]
    assert blocks[-1].number == "7"
    second = write_text_version(text, parts, label="Bis", line_length=80)
    assert second.number == 2


def test_writer_refuses_an_empty_structure(database, convention):
    text = Text(convention_id=convention.id, slug="texte", title="Texte")
    with pytest.raises(ValueError):
        write_text_version(text, (), label="Vide", line_length=80)
