"""Secrecy in depth (issue 11 §4b): after the close, the database FILES keep no trace of the order of the votes.

400 members vote one transaction at a time, as real requests do; the émargement
(``participation.voted_dt``) gives that order. The test then reads the storage itself, not the
SQL view: on SQLite the bytes of the database file (each page attributed to its table or index
by the ``dbstat`` table), on PostgreSQL the raw pages of the ``ballot`` table, its TOAST table
and its indexes (``pageinspect``: ``get_raw_page``, ``heap_page_items``). It parses the pages
(SQLite's cell pointer arrays, PostgreSQL's line pointers) to find where each ballot's live
row or index entry sits, and checks that after the close:

(a) none of the old ballot ids is anywhere in that storage (they are all in it before);
(b) no dead version of the old rows is left: on PostgreSQL no heap tuple that is not live, on
    SQLite no page on the free list; and in the ballot table and its indexes, no copy of a
    receipt hash outside the live cells;
(c) the place of the ballots does not follow the émargement: in every table and index, the
    rank correlations of ``Layout.statistics`` (the order a scan meets them, their byte
    offsets, their order within pages) are small and look like chance, while before the close
    (same measures, same reader) at least one of them is far from chance.

A control test closes a poll with the compaction switched off and shows that (a) and (b) then
find the old rows: the checks see what they look for.
"""

from __future__ import annotations

import random
import re
import statistics
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from convention.domain.errors import IllegalTransition
from convention.extensions import db
from convention.members.models import User
from convention.votes import ballotbox, operations
from convention.votes.models import Ballot, Participation, Poll, hash_receipt_code
from tests.auth_fixtures import make_member
from tests.integration.test_vote_operations import answer, make_vote_world, open_now

VOTERS = 400
# After the close every statistic must be small (with 400 ballots in a random order Spearman's rho has a
# standard deviation of 1/sqrt(399) = 0.05: 0.3 is six of them) and look like chance (a z-score under
# Z_CHANCE against PERMUTATIONS random orders of the votes). While the vote is open, at least one is far from
# chance (Z_SEEN): on PostgreSQL the heap keeps the order of the votes outright (rho near 1); on
# SQLite, whose ballot table is stored in the order of its random ids, the order survives within
# pages, in the cells written one after the other since the page was last rebuilt.
BOUND = 0.3
Z_SEEN = 3.5
Z_CHANCE = 4.5


# --- the vote, one transaction per voter ------------------------------------------------------------


@dataclass
class CastBox:
    poll_id: int
    # The receipt hashes in the émargement order (participation.voted_dt), and the ballot ids of the open box.
    receipts: list[str]
    ids_by_receipt: dict[str, str]


def vote_one_by_one(voters: int = VOTERS) -> CastBox:
    world = make_vote_world()
    sections = [world.users["militant"].member.section, world.users["lyonnais"].member.section]
    members = [make_member(sections[i % 2]) for i in range(voters)]
    poll = open_now(world)
    db.session.commit()
    # Start from a compact file, whatever the tests before this one left in it (SQLite reuses the pages
    # that emptied tables freed, holding other tests' rows): only this vote's writes are then read.
    assert ballotbox.compact_ballot_storage()
    labels = ("Pour", "Contre", "Abstention")
    receipt_of: dict[int, str] = {}
    for member in members:
        voter = SimpleNamespace(is_authenticated=True, member_id=member.id, id=None)
        code = operations.cast_ballot(voter, poll, answer(poll, random.choice(labels)))
        db.session.commit()  # one transaction per voter, as with real requests
        receipt_of[member.id] = hash_receipt_code(code)
    order = db.session.scalars(
        sa.select(Participation.member_id)
        .where(Participation.poll_id == poll.id)
        .order_by(Participation.voted_dt, Participation.id)
    ).all()
    receipts = [receipt_of[member_id] for member_id in order if member_id in receipt_of]
    assert len(receipts) == voters
    ids = dict(db.session.execute(sa.select(Ballot.receipt_hash, Ballot.id).where(Ballot.poll_id == poll.id)).all())
    return CastBox(poll.id, receipts, ids)


def bureau() -> User:
    return db.session.scalar(sa.select(User).where(User.email == "bn@example.org"))


def close(box: CastBox) -> None:
    assert operations.close_poll(bureau(), db.session.get(Poll, box.poll_id)) is not None
    db.session.commit()  # the compaction runs once this has committed
    db.session.expire_all()


# --- reading the storage ---------------------------------------------------------------------------------


@dataclass
class Storage:
    """The raw bytes of each table and index that holds ballots (name → bytes), and what is dead."""

    relations: dict[str, bytes]
    page_size: int
    dead_versions: int  # PostgreSQL: heap tuples that are not live; SQLite: free-list pages
    everything: bytes  # every byte read (the whole file on SQLite)


def read_storage() -> Storage:
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        return _read_postgresql()
    return _read_sqlite()


def _read_sqlite() -> Storage:
    path = Path(db.engine.url.database)
    data = path.read_bytes()
    for suffix in ("-journal", "-wal"):
        extra = Path(f"{path}{suffix}")
        if extra.exists():
            data += extra.read_bytes()
    page_size = db.session.scalar(sa.text("PRAGMA page_size"))
    freelist = db.session.scalar(sa.text("PRAGMA freelist_count"))
    pages = db.session.execute(sa.text("SELECT name, pageno FROM dbstat")).all()
    names = {"ballot"} | set(
        db.session.scalars(sa.text("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'ballot'"))
    )
    relations: dict[str, bytes] = {}
    for name, pageno in sorted(pages, key=lambda row: row[1]):
        if name in names:
            start = (pageno - 1) * page_size
            relations[name] = relations.get(name, b"") + data[start : start + page_size]
    return Storage(relations, page_size, freelist or 0, data)


def _read_postgresql() -> Storage:
    db.session.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pageinspect"))
    db.session.commit()
    oids = [db.session.scalar(sa.text("SELECT 'ballot'::regclass::oid"))]
    oids += db.session.scalars(sa.text("SELECT indexrelid FROM pg_index WHERE indrelid = 'ballot'::regclass")).all()
    toast = db.session.scalar(sa.text("SELECT reltoastrelid FROM pg_class WHERE oid = 'ballot'::regclass"))
    if toast:
        oids.append(toast)
        oids += db.session.scalars(sa.text("SELECT indexrelid FROM pg_index WHERE indrelid = :t"), {"t": toast}).all()
    block = int(db.session.scalar(sa.text("SELECT current_setting('block_size')")))
    relations: dict[str, bytes] = {}
    for oid in oids:
        name = db.session.scalar(sa.text("SELECT CAST(CAST(:o AS oid) AS regclass)::text"), {"o": oid})
        blocks = db.session.scalar(sa.text("SELECT pg_relation_size(:o)"), {"o": oid}) // block
        relations[name] = b"".join(
            bytes(db.session.scalar(sa.text("SELECT get_raw_page(:n, :b)"), {"n": name, "b": number}))
            for number in range(blocks)
        )
    heap_blocks = db.session.scalar(sa.text("SELECT pg_relation_size('ballot')")) // block
    dead = 0
    for number in range(heap_blocks):
        dead += db.session.scalar(
            sa.text(
                "SELECT count(*) FROM heap_page_items(get_raw_page('ballot', :b)) "
                "WHERE lp_flags <> 1 OR t_xmax::text <> '0'"
            ),
            {"b": number},
        )
    db.session.commit()
    return Storage(relations, block, dead, b"".join(relations.values()))


# --- where each ballot sits, and what that says of the order of the votes -----------------------------------


@dataclass(frozen=True)
class Place:
    """Where a ballot's key (receipt hash or id) sits in a table or index."""

    page: int  # the page's rank in the relation
    slot: int  # its rank in the page's pointer array: key order in an index, write order in a PostgreSQL heap
    offset: int  # where its bytes start in the page


def slots(page: bytes, engine: str) -> list[tuple[int, int]]:
    """The (start, end) of each live cell (SQLite) or item (PostgreSQL) of a page, in the order of its
    pointer array."""
    if engine == "sqlite":  # b-tree page header: 8 bytes on a leaf, 12 on an interior page; then 2-byte pointers
        header = 8 if page[0] in (0x0A, 0x0D) else 12
        count = int.from_bytes(page[3:5], "big")
        starts = [int.from_bytes(page[header + 2 * i : header + 2 * i + 2], "big") for i in range(count)]
        bounds = sorted(set(starts)) + [len(page)]
        # A cell ends where the next one starts (or sooner: no cell of these tables is longer than 400 bytes).
        return [(start, min(bounds[bounds.index(start) + 1], start + 400)) for start in starts]
    lower = int.from_bytes(page[12:14], "little")  # PageHeaderData.pd_lower; 4-byte ItemIdData from byte 24
    result = []
    for i in range((lower - 24) // 4):
        item = int.from_bytes(page[24 + 4 * i : 28 + 4 * i], "little")
        offset, flags, length = item & 0x7FFF, (item >> 15) & 3, item >> 17
        result.append((offset, offset + length) if flags == 1 else (0, 0))  # LP_NORMAL: a stored tuple
    return result


KEY = re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{64}")


def live_places(data: bytes, page_size: int, engine: str) -> dict[str, Place]:
    """Every ballot id or receipt hash held by a live cell or item of a relation, and where."""
    places: dict[str, Place] = {}
    for number in range(len(data) // page_size):
        page = data[number * page_size : (number + 1) * page_size]
        for slot, (start, end) in enumerate(slots(page, engine)):
            if end <= start:
                continue
            for match in KEY.finditer(page[start:end]):
                places.setdefault(match.group().decode(), Place(number, slot, start))
    return places


MIN_PAIRS = 300
PERMUTATIONS = 100


def _ranks(values: list) -> list[int]:
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0] * len(values)
    for rank, index in enumerate(order):
        ranks[index] = rank
    return ranks


@dataclass
class Layout:
    """The places of the ballots in one table or index, listed in the émargement order, ready to be
    compared with any order of the votes."""

    scan: list[int]  # rank of each ballot in the order a scan meets them (page, slot)
    offset: list[int]  # rank of each ballot by byte offset
    same_page: list[tuple[int, int, int]]  # (ballot i, ballot j, sign of offset i - offset j), same page
    written_after: list[tuple[int, int, int]]  # those of them whose offsets disagree with their slots

    @classmethod
    def of(cls, places: list[Place], page_size: int) -> Layout:
        same_page, written_after = [], []
        for i, a in enumerate(places):
            for j in range(i + 1, len(places)):
                b = places[j]
                if a.page == b.page and a.offset != b.offset:
                    pair = (i, j, 1 if a.offset > b.offset else -1)
                    same_page.append(pair)
                    if (a.slot - b.slot) * (a.offset - b.offset) > 0:
                        written_after.append(pair)
        return cls(
            _ranks([(p.page, p.slot) for p in places]),
            _ranks([p.page * page_size + p.offset for p in places]),
            same_page,
            written_after,
        )

    def statistics(self, order: list[int]) -> dict[str, float]:
        """How much the places follow ``order`` (the rank of each ballot in an order of the votes):

        - « scan »: Spearman's rho of the order in which a scan of the relation meets them (page, slot);
        - « offset »: Spearman's rho of their byte offsets;
        - « in page »: Kendall's tau of their offsets within each page (both engines write a page's
          rows one after the other from its end);
        - « written after »: the same over the pairs whose offsets disagree with their slots (a page
          written at once has its slots in the reverse order of its offsets; the other pairs were
          written later, one by one).

        A tau over fewer than ``MIN_PAIRS`` pairs is left out.
        """
        n = len(order)
        mean, var = (n - 1) / 2, (n * n - 1) / 12 * n
        result = {
            "scan": sum((a - mean) * (b - mean) for a, b in zip(order, self.scan, strict=True)) / var,
            "offset": sum((a - mean) * (b - mean) for a, b in zip(order, self.offset, strict=True)) / var,
        }
        for name, pairs in (("in page", self.same_page), ("written after", self.written_after)):
            if len(pairs) >= MIN_PAIRS:
                result[name] = sum(sign if order[i] > order[j] else -sign for i, j, sign in pairs) / len(pairs)
        return result


@dataclass(frozen=True)
class Measure:
    value: float  # the statistic for the émargement order
    z: float  # how many standard deviations from what random orders of the votes give

    def __str__(self) -> str:
        return f"{self.value:+.2f} (z = {self.z:+.1f})"


def storage_order(storage: Storage, box: CastBox, ids: dict[str, str]) -> dict[str, Measure]:
    """For every table and index holding the ballots' receipts (or, for the indexes without them, their
    ids), the statistics of ``Layout.statistics`` for the émargement order, with their z-score against
    ``PERMUTATIONS`` random orders of the votes."""
    engine = db.engine.dialect.name
    rng = random.Random(11)
    result: dict[str, Measure] = {}
    for name, data in storage.relations.items():
        live = live_places(data, storage.page_size, engine)
        for label, keys in (("receipt", box.receipts), ("id", [ids[r] for r in box.receipts])):
            places = [live.get(key) for key in keys]
            if any(place is None for place in places):
                continue
            layout = Layout.of(places, storage.page_size)
            observed = layout.statistics(list(range(len(places))))
            null: dict[str, list[float]] = {stat: [] for stat in observed}
            for _ in range(PERMUTATIONS):
                order = list(range(len(places)))
                rng.shuffle(order)
                for stat, value in layout.statistics(order).items():
                    null[stat].append(value)
            for stat, value in observed.items():
                spread = statistics.pstdev(null[stat]) or 1.0
                result[f"{name} ({label}), {stat}"] = Measure(value, value / spread)
            break
    return result


def live_copies(storage: Storage) -> Counter:
    """How many live cells or items (rows, index entries, and the keys that index pages repeat) hold
    each ballot id or receipt hash, in the ballot table and its indexes."""
    engine = db.engine.dialect.name
    copies: Counter = Counter()
    for data in storage.relations.values():
        for number in range(len(data) // storage.page_size):
            page = data[number * storage.page_size : (number + 1) * storage.page_size]
            for start, end in slots(page, engine):
                if end > start:
                    copies.update({match.group().decode() for match in KEY.finditer(page[start:end])})
    return copies


def show(measures: dict[str, Measure]) -> str:
    return "\n".join(f"  {name}: {measure}" for name, measure in sorted(measures.items()))


def current_ids(box: CastBox) -> dict[str, str]:
    return dict(
        db.session.execute(sa.select(Ballot.receipt_hash, Ballot.id).where(Ballot.poll_id == box.poll_id)).all()
    )


# --- the tests ---------------------------------------------------------------------------------------------------


def test_after_the_close_the_files_keep_no_old_id_no_dead_row_and_no_order_of_the_votes(database):
    box = vote_one_by_one()
    old_ids = set(box.ids_by_receipt.values())

    before = read_storage()
    # The reader sees what it looks for: the open box's ids are there, and so is the order of the votes.
    assert all(ballot_id.encode() in before.everything for ballot_id in old_ids)
    order_before = storage_order(before, box, box.ids_by_receipt)
    assert max(abs(m.z) for m in order_before.values()) >= Z_SEEN, "the open box shows no order?\n" + show(order_before)
    if db.engine.dialect.name == "postgresql":  # the heap is in the order of the votes
        assert order_before["ballot (receipt), scan"].value > 0.6, show(order_before)

    close(box)

    after = read_storage()
    ids = current_ids(box)
    # The same ballots (every receipt can still be checked), under new ids.
    assert sorted(ids) == sorted(box.receipts)
    assert not set(ids.values()) & old_ids
    # (a) No old id anywhere in the storage.
    leftovers = [ballot_id for ballot_id in old_ids if ballot_id.encode() in after.everything]
    assert leftovers == [], f"{len(leftovers)} old ballot id(s) still on disk"
    # (b) No dead version: no dead tuple or free page, and in the ballot table and its indexes each
    # receipt only in its live cells. (Elsewhere the published list of receipts, sorted, may hold them.)
    assert after.dead_versions == 0
    box_bytes = b"".join(after.relations.values())
    live = live_copies(after)
    stale = [r for r in box.receipts if box_bytes.count(r.encode()) != live[r]]
    assert stale == [], f"{len(stale)} receipt hash(es) also outside the live rows"
    # (c) Nothing in the storage follows the émargement any more.
    order_after = storage_order(after, box, ids)
    assert any(name.startswith("ballot ") for name in order_after), show(order_after)
    assert max(abs(m.value) for m in order_after.values()) < BOUND, "order after the close:\n" + show(order_after)
    assert max(abs(m.z) for m in order_after.values()) < Z_CHANCE, "order after the close:\n" + show(order_after)


def test_without_the_compaction_the_old_rows_are_still_on_disk(database, monkeypatch):
    """The control: without the compaction, what the test above looks for is in the files.

    PostgreSQL: the same close with the compaction switched off keeps the deleted rows, with their
    voters' transaction ids. SQLite: the close's new rows take the very pages that its delete freed, so
    what is left of the old ones depends on how they fall; the control deletes the box without writing
    a new one, and with ``secure_delete`` off (SQLite's own default; Debian's build zeroes deleted
    cells) the freed pages and the old ids stay in the file until a VACUUM."""
    box = vote_one_by_one(60)
    old_ids = set(box.ids_by_receipt.values())
    if db.engine.dialect.name == "postgresql":
        monkeypatch.setattr(ballotbox, "compact_ballot_storage", lambda *args, **kwargs: False)
        close(box)
        after = read_storage()
        assert after.dead_versions >= 60  # the deleted rows, with their voters' transaction ids
        assert [i for i in old_ids if i.encode() in after.everything] == list(old_ids)
        return
    db.session.execute(sa.text("PRAGMA secure_delete = OFF"))
    try:
        db.session.execute(sa.delete(Ballot).where(Ballot.poll_id == box.poll_id))
        after = read_storage()  # commits
    finally:
        db.session.execute(sa.text("PRAGMA secure_delete = ON"))
        db.session.commit()
    assert after.dead_versions > 0  # free pages
    found = [ballot_id for ballot_id in old_ids if ballot_id.encode() in after.everything]
    assert len(found) >= len(old_ids) // 2, f"only {len(found)} of {len(old_ids)} old ids found"
    # The compaction removes both.
    assert ballotbox.compact_ballot_storage()
    compacted = read_storage()
    assert compacted.dead_versions == 0
    assert not [ballot_id for ballot_id in old_ids if ballot_id.encode() in compacted.everything]


def test_another_open_poll_keeps_its_ballots_and_a_second_close_changes_nothing(database):
    from convention.conventions.models import Convention
    from convention.votes.models import RollEntry
    from tests.integration.test_vote_operations import poll_data

    box = vote_one_by_one(12)
    bn = bureau()
    second = operations.create_poll(bn, db.session.scalar(sa.select(Convention)), poll_data(title="Second scrutin"))
    assert operations.open_poll(bn, second)
    db.session.commit()
    members = db.session.scalars(sa.select(RollEntry.member_id).where(RollEntry.poll_id == second.id)).all()
    for member_id in members[:5]:
        voter = SimpleNamespace(is_authenticated=True, member_id=member_id, id=None)
        operations.cast_ballot(voter, second, answer(second, "Contre"))
        db.session.commit()
    second_box = dict(
        db.session.execute(sa.select(Ballot.id, Ballot.receipt_hash).where(Ballot.poll_id == second.id)).all()
    )

    close(box)
    first = current_ids(box)
    assert len(first) == 12
    # The other poll's box is untouched and still takes ballots.
    kept = db.session.execute(sa.select(Ballot.id, Ballot.receipt_hash).where(Ballot.poll_id == second.id)).all()
    assert dict(kept) == second_box
    voter = SimpleNamespace(is_authenticated=True, member_id=members[5], id=None)
    operations.cast_ballot(voter, db.session.get(Poll, second.id), answer(second, "Pour"))
    db.session.commit()
    # Closing the first poll again is refused and rewrites nothing: same ids, same receipts.
    with pytest.raises(IllegalTransition):
        operations.close_poll(bn, db.session.get(Poll, box.poll_id))
    db.session.rollback()
    assert current_ids(box) == first


def test_a_transaction_older_than_the_close_keeps_the_old_rows_until_it_ends(database, monkeypatch, caplog):
    """PostgreSQL: VACUUM FULL cannot drop rows an older transaction may still see. The compaction
    waits, tries again, says so in the log; run once that transaction has ended, it drops them."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: SQLite's VACUUM needs every other connection idle and fails otherwise")
    monkeypatch.setattr(ballotbox, "OLD_SNAPSHOT_WAIT_SECONDS", 0.3)
    monkeypatch.setattr(ballotbox, "VACUUM_RETRY_PAUSES", (0.1,))
    box = vote_one_by_one(30)
    with db.engine.connect() as old:
        old.execute(sa.text("SELECT txid_current()"))  # a transaction with an id, begun before the close
        close(box)
        assert read_storage().dead_versions >= 30
        assert "VACUUM FULL ballot kept" in caplog.text and "other transaction(s) are open" in caplog.text
        old.rollback()
    assert ballotbox.compact_ballot_storage()
    after = read_storage()
    assert after.dead_versions == 0
    assert not any(ballot_id.encode() in after.everything for ballot_id in box.ids_by_receipt.values())
