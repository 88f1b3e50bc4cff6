"""The operations of the versions: a status moved along its table (audited, told), a file previewed
without writing anything, then published as the next version; and the difference between versions."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from convention.core.audit import AuditEntry
from convention.core.permissions import PermissionDenied
from convention.domain.consolidation import BlockChange
from convention.domain.errors import DomainError
from convention.domain.phases import PhaseKind
from convention.domain.versions import STAGE_LABELS, VersionStage, VersionTransitionError
from convention.extensions import db
from convention.notifications.models import Notification, NotificationKind
from convention.texts.models import VERSION_STATUS_LABELS, TextVersion, VersionStatus
from convention.versions import operations, queries
from tests.amendment_fixtures import P1, P3, Q1, Q2, build_world, table_counts

P2 = "Créer une maison de la justice et du droit dans chaque département d'ici à la fin du mandat."


def document(p1: str = P1, chapter2: str = f"{Q1}\n\n{Q2}") -> bytes:
    return (
        f"# I. Prévenir et protéger\n\n## 1. La prévention\n\n{p1}\n\n{P2}\n\n{P3}\n\n## 2. La justice\n\n{chapter2}\n"
    ).encode()


@pytest.fixture()
def world(database, app):
    return build_world(PhaseKind.AMENDMENTS)


def told() -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(Notification).where(Notification.kind == NotificationKind.TEXT_VERSION)
    )


def actions() -> list[str]:
    return list(db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)))


def test_the_domain_stages_mirror_the_model_statuses():
    assert [s.value for s in VersionStage] == [s.value for s in VersionStatus]
    assert {s.value: label for s, label in STAGE_LABELS.items()} == {
        s.value: label for s, label in VERSION_STATUS_LABELS.items()
    }


def test_a_status_moves_along_the_table_audited_and_told_when_it_matters(world):
    bureau = world.users["national_bureau"]
    version = world.version
    operations.change_version_status(bureau, version, VersionStatus.AMENDED)
    db.session.commit()
    assert version.status == VersionStatus.AMENDED and told() == 0  # « texte amendé » is no news by itself
    operations.change_version_status(bureau, version, VersionStatus.ADOPTED_BY_BN)
    db.session.commit()
    assert told() == len(world.users)
    note = db.session.scalars(sa.select(Notification).where(Notification.user_id == bureau.id)).one()
    assert "adopté par le bureau national" in note.subject and "Adopté par le Bureau national" in note.body
    entries = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "text_version.status_changed").order_by(AuditEntry.id)
    ).all()
    assert [(e.data["source"], e.data["target"], e.actor_id) for e in entries] == [
        ("draft", "amended", bureau.id),
        ("amended", "adopted_by_bn", bureau.id),
    ]


def test_an_illegal_status_or_actor_writes_nothing(world):
    before = actions()
    with pytest.raises(VersionTransitionError) as error:
        operations.change_version_status(world.users["national_bureau"], world.version, VersionStatus.ADOPTED)
    assert "Possible maintenant" in error.value.message
    with pytest.raises(PermissionDenied):
        operations.change_version_status(world.users["committee"], world.version, VersionStatus.AMENDED)
    db.session.rollback()
    assert db.session.get(TextVersion, world.version.id).status == VersionStatus.DRAFT
    assert actions() == before and told() == 0


def test_a_preview_writes_nothing_and_reads_the_changes(world):
    counts = table_counts()
    data = document(p1=P1.replace("éducateurs de rue", "éducateurs spécialisés"), chapter2=f"{Q1}\n\nUn ajout.\n\n{Q2}")
    preview = operations.preview_text_file(world.text, data, "v2.md")
    assert preview.ok and preview.base.number == 1
    assert [c.anchor for c in preview.chapters] == ["I-1", "I-2"] and preview.blocks == 6
    assert preview.counts == {"unchanged": 3, "modified": 2, "inserted": 1, "deleted": 0}
    first = preview.by_chapter[0]
    assert first.anchor == "I-1" and [b.anchor for b in first.changed_blocks] == ["I-1-1"]
    assert not preview.identical
    assert table_counts() == counts

    refused = operations.preview_text_file(world.text, b"\xff\xfe du texte", "v2.txt")
    assert not refused.ok and "UTF-8" in refused.issues[0].message
    assert table_counts() == counts


def test_publishing_a_file_writes_the_next_version_and_tells_the_members(world):
    bureau = world.users["national_bureau"]
    data = document(p1=P1.replace("éducateurs de rue", "éducateurs spécialisés"))
    version = operations.publish_text_file(
        bureau, world.convention, data, "v2.md", status=VersionStatus.AMENDED, base_number=1
    )
    db.session.commit()
    assert (version.number, version.status, version.source) == (2, VersionStatus.AMENDED, "v2.md")
    assert version.label == "Texte amendé (fichier v2.md)"
    assert told() == len(world.users)
    assert {"text_version.created", "text_version.published_from_file"} <= set(actions())

    # The difference between the two: one block modified, no amendment responsible.
    diff = queries.version_diff(world.text, world.text.versions[0], version)
    assert [(b.anchor, b.change) for b in diff.blocks if b.change != BlockChange.UNCHANGED] == [
        ("I-1-1", BlockChange.MODIFIED)
    ]
    assert diff.refs(diff.blocks[0]) == []

    with pytest.raises(DomainError, match="a été publiée depuis l'aperçu"):
        operations.publish_text_file(bureau, world.convention, data, "v2.md", base_number=1)
    with pytest.raises(DomainError, match="identique à la version 2"):
        operations.publish_text_file(bureau, world.convention, data, "v2.md", base_number=2)
    with pytest.raises(DomainError, match="problème"):
        operations.publish_text_file(bureau, world.convention, b"", "vide.md", base_number=2)
    with pytest.raises(PermissionDenied):
        operations.publish_text_file(world.users["committee"], world.convention, data, "v2.md", base_number=2)
    db.session.rollback()
    assert len(db.session.scalars(sa.select(TextVersion)).all()) == 2
