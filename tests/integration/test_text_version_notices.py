"""A new version of the text is notified to every enabled account; the seeded first draft is not."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from convention.conventions.models import Convention
from convention.core.db import utcnow
from convention.domain.textimport import parse_bytes
from convention.extensions import db
from convention.notifications.models import Notification, NotificationKind
from convention.texts.models import Text, VersionStatus
from convention.texts.operations import import_text_version, write_text_version
from seed.records import BlockRecord, ChapterRecord, PartRecord
from tests.auth_fixtures import make_user

MARKDOWN = """\
# I. Une police républicaine

## 1. Fidéliser les forces

Les socialistes proposent :

- Assurer une juste rémunération.
"""

PARTS = (PartRecord("I", "Partie", (ChapterRecord("1", "Chapitre", (BlockRecord("paragraph", "Texte."),)),)),)


def text_notices() -> list[Notification]:
    db.session.expire_all()
    return db.session.scalars(
        sa.select(Notification)
        .where(Notification.kind == NotificationKind.TEXT_VERSION)
        .order_by(Notification.user_id, Notification.id)
    ).all()


def accounts() -> list[int]:
    users = [make_user(f"lecteur{i}@example.org") for i in range(2)]
    make_user("parti@example.org").is_enabled = False
    return [u.id for u in users]


def test_the_seed_notifies_nobody_and_a_later_import_notifies_everyone(database):
    from seed.load import seed_convention

    enabled = accounts()
    db.session.commit()
    seed_convention(verbose=False)
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Text)) == 1
    assert text_notices() == []

    convention = db.session.scalars(sa.select(Convention)).one()
    parsed = parse_bytes(MARKDOWN.encode(), fmt="markdown", filename="amende.md")
    version = import_text_version(None, convention, parsed, label="Texte amendé", status=VersionStatus.AMENDED)
    db.session.commit()
    assert version.number == 2
    sent = text_notices()
    assert [n.user_id for n in sent] == enabled
    assert sent[0].subject == "Nouvelle version du texte : Texte amendé"
    assert "La version 2 du texte" in sent[0].body and "Statut : Texte amendé." in sent[0].body
    assert sent[0].url == "/texte/?version=2"

    # Seeding again (unchanged document) writes and notifies nothing.
    seed_convention(verbose=False)
    db.session.commit()
    assert len(text_notices()) == 2


def test_the_import_command_notifies_even_a_first_version(app, database, tmp_path: Path):
    enabled = accounts()
    db.session.add(Convention(slug="securite", title="Sécurité et prévention", short_title="Sécurité", published_dt=utcnow()))
    db.session.commit()
    path = tmp_path / "projet.md"
    path.write_text(MARKDOWN, encoding="utf-8")

    result = app.test_cli_runner().invoke(args=["texts", "import", str(path)])

    assert result.exit_code == 0, result.output
    sent = text_notices()
    assert [n.user_id for n in sent] == enabled and sent[0].url == "/texte/?version=1"


def test_the_writer_notifies_from_the_second_version_unless_told(database):
    accounts()
    convention = Convention(slug="securite", title="Sécurité et prévention", short_title="Sécurité", published_dt=utcnow())
    db.session.add(convention)
    db.session.flush()
    text = Text(convention_id=convention.id, slug="texte", title="Le texte")
    write_text_version(text, PARTS, label="Projet", line_length=80)
    assert text_notices() == []
    write_text_version(text, PARTS, label="Bis", line_length=80, notify=False)
    assert text_notices() == []
    write_text_version(text, PARTS, label="Ter", line_length=80)
    assert {n.subject for n in text_notices()} == {"Nouvelle version du texte : Ter"}
