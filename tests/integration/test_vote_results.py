"""Reading the results (§4): the national decision in words, exact figures, and cells per federation and section
that never reveal a vote (small or unanimous units merged), with every unit's turnout."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convention.domain.counting import CountError, Question, Tally, VoteMethod
from convention.domain.polls import QuestionMethod
from convention.extensions import db
from convention.votes import operations, results
from convention.votes.models import Poll, QuestionTally
from convention.votes.operations import QuestionData
from tests.conftest import empty_tables
from tests.integration.test_vote_tally import (
    ONLINE,
    PAPER_VOTERS,
    TEXT,
    WORDING,
    Voter,
    close_and_count,
    counted_world,
    make_results_world,
    open_poll,
    vote,
    vote_on_paper,
)

ONLINE_BALLOTS = sum(len(b) for b in ONLINE.values())


def test_no_results_before_the_count(database):
    world = make_results_world()
    poll = open_poll(world)
    assert results.get_results(poll) is None


def test_the_national_result_is_decided_and_put_in_words(database):
    world, poll, _ = counted_world()
    found = results.get_results(poll)
    text, wording = found.questions
    assert (text.title, wording.title) == (TEXT, WORDING)
    assert text.adopted is True
    assert text.sentence == "Le texte est adopté : 21 voix Pour sur 35 suffrages exprimés, soit plus de la moitié."
    assert text.rule_text == "plus de la moitié des suffrages exprimés (Pour + Contre)"
    # Shares of the rule's base (Pour + Contre), computed at the end from the exact figures.
    assert [(o.label, o.votes, o.percent) for o in text.options] == [
        ("Pour", 21, "60,00\u00a0%"),
        ("Contre", 14, "40,00\u00a0%"),
        ("Abstention", 2, "—"),
    ]
    assert [o.is_winner for o in text.options] == [True, False, False]
    assert wording.sentence == "L'option « Rédaction A » l'emporte avec la mention majoritaire « Bien »."
    assert [(m.label, m.majority_grade, m.rank) for m in wording.merit] == [
        ("Rédaction A", "Bien", 1),
        ("Rédaction B", "Assez bien", 2),
    ]
    assert sum(wording.merit[0].counts) == ONLINE_BALLOTS + PAPER_VOTERS - 1  # the blank paper ballot
    national = found.national
    assert (national.registered, national.voters, national.paper) == (poll.roll_size, 38, PAPER_VOTERS)
    assert found.export_hash == poll.export_hash


def test_small_and_unanimous_cells_are_merged_and_the_sums_still_hold(database):
    world, poll, _ = counted_world()
    found = results.get_results(poll)
    # Federations: Isère (25 ballots) alone; Rhône (11) and Corse (2, unanimous) merged together, since Corse
    # alone would show its two votes.
    labels = [(c.label, c.is_merged, c.ballots) for c in found.federations]
    assert labels == [("Fédération de Isère", False, 25), ("Autres fédérations", True, 13)]
    merged = found.federations[1]
    assert merged.members == ["Fédération de Corse", "Fédération de Rhône"]
    text_id = found.questions[0].id
    assert merged.questions[text_id].votes == {"Pour": 5, "Contre": 8, "Abstention": 0}
    # Sections of the Isère: Échirolles voted on paper only (its minutes are public): shown alone. Voiron (3
    # online ballots, all Pour) is merged, and Grenoble joins it since Voiron alone would still show its votes.
    (isere,) = [s for s in found.sections if s.federation_label == "Fédération de Isère"]
    assert [(c.label, c.ballots, c.is_merged) for c in isere.cells] == [
        ("Échirolles", 10, False),
        ("Autres sections de la fédération de Isère", 15, True),
    ]
    assert isere.cells[1].members == ["Grenoble", "Voiron"]
    # Rhône is merged at the federation level: its single section, which is all of it, is not shown (Corse's
    # votes would be « Autres fédérations » minus Lyon 1er); Corse's only section is withheld too.
    (rhone,) = [s for s in found.sections if s.federation_label == "Fédération de Rhône"]
    assert rhone.withheld and rhone.cells == []
    (corse,) = [s for s in found.sections if s.federation_label == "Fédération de Corse"]
    assert corse.withheld and corse.cells == []
    # Every unit's turnout is published, merged or not.
    assert [(t.label, t.voters, t.paper) for t in found.federation_turnout] == [
        ("Fédération de Corse", 2, 0),
        ("Fédération de Isère", 25, PAPER_VOTERS),
        ("Fédération de Rhône", 11, 0),
    ]
    assert [(t.label, t.voters) for t in corse.turnout] == [("Ajaccio", 2)]
    assert [(t.label, t.voters, t.paper) for t in rhone.turnout] == [("Lyon 1er", 11, 0)]
    # The published federation cells add up to the national figures, question by question.
    for question in found.questions:
        votes: dict = {}
        for cell in found.federations:
            for label, n in cell.questions[question.id].votes.items():
                if isinstance(n, list):
                    votes[label] = [a + b for a, b in zip(votes.get(label, [0] * len(n)), n, strict=True)]
                else:
                    votes[label] = votes.get(label, 0) + n
        national = {question.labels[name]: score for name, score in question.result["scores"].items()}
        assert votes == national
        assert sum(c.questions[question.id].ballots for c in found.federations) == question.tally.ballots
    assert "moins de 10 bulletins" in found.rule


def test_no_published_cell_is_small_or_revealing(database):
    """Whatever the threshold, every published cell holds enough ballots and no unanimous question."""
    for threshold in (1, 5, 12, 30, 100):
        world, poll, _ = counted_world(secrecy_threshold=threshold)
        found = results.get_results(poll)
        published = list(found.federations) + [c for level in found.sections for c in level.cells]
        for cell in published:
            # The secret part of a cell is its online ballots (minutes that keep the secret are public);
            # a merged cell may also hold sections that voted only on paper with too few voters.
            online = cell.ballots - cell.paper
            assert cell.ballots >= threshold or cell.ballots == 0, (threshold, cell.label)
            assert online == 0 or online >= threshold or cell.is_merged, (threshold, cell.label)
            for question in found.questions:
                part = cell.online[question.id]
                assert part.ballots == online
                if not cell.is_merged:
                    assert online == 0 or not part.is_revealing(), (threshold, cell.label)
                assert not cell.questions[question.id].tally.is_revealing() or cell.ballots == 0
                assert cell.questions[question.id].ballots == cell.ballots
        if threshold == 100:
            assert found.federations_withheld and found.federations == []
        db.session.rollback()
        empty_tables()


def test_the_member_s_federation_comes_first_and_search_keeps_matching_ones(database):
    world, poll, _ = counted_world()
    rhone = world.federations["69"]
    found = results.arrange(results.get_results(poll), rhone.id)
    assert found.federation_turnout[0].label == "Fédération de Rhône" and found.federation_turnout[0].is_own
    assert found.sections[0].federation_label == "Fédération de Rhône" and found.sections[0].is_own
    # Rhône is merged into « Autres fédérations »: the page says so.
    assert found.own_federation_merged and found.own_federation_label == "Fédération de Rhône"
    isere = results.arrange(results.get_results(poll), world.federations["38"].id)
    assert isere.federations[0].is_own and not isere.own_federation_merged
    searched = results.arrange(results.get_results(poll), None, "isere")
    assert [t.label for t in searched.federation_turnout] == ["Fédération de Isère"]
    assert [s.federation_label for s in searched.sections] == ["Fédération de Isère"]


@pytest.mark.parametrize(
    ("method", "options", "extra"),
    [
        (QuestionMethod.SCHULZE, ["A", "B", "C"], {"status_quo": True}),
        (QuestionMethod.APPROVAL, ["A", "B", "C"], {"seats": 2}),
        (QuestionMethod.SINGLE, ["A", "B"], {}),
    ],
)
def test_each_method_has_what_its_page_shows(database, method, options, extra):
    world = make_results_world()
    poll = open_poll(world, questions=[QuestionData("Choix", method, options=[(o, "") for o in options], **extra)])
    (question,) = poll.questions
    ids = {o.label: o.id for o in question.options}
    members = world.members["Grenoble"][:8]
    for i, member in enumerate(members):
        if method == QuestionMethod.SCHULZE:
            answer = [[ids["A"]], [ids["B"]]] if i % 3 else [[ids["B"]], [ids["C"]]]
        elif method == QuestionMethod.APPROVAL:
            answer = [ids["A"], ids["B"]] if i % 2 else [ids["A"]]
        else:
            answer = ids["A"] if i % 3 else ids["B"]
        operations.cast_ballot(Voter(member), poll, {question.key: answer})
    poll, job = close_and_count(world, poll)
    found = results.get_results(db.session.get(Poll, poll.id))
    (result,) = found.questions
    if method == QuestionMethod.SCHULZE:
        assert len(result.matrix) == 4 and result.matrix[0].cells[0][1] is None
        a_row = next(r for r in result.matrix if r.label == "A")
        assert dict((label, n) for label, n, _ in a_row.cells)["B"] == 5
        assert result.ranking[0] == ["A"]
        assert "l'emporte selon la méthode Schulze et bat le statu quo" in result.sentence
    elif method == QuestionMethod.APPROVAL:
        assert [(o.label, o.votes) for o in result.options] == [("A", 8), ("B", 4), ("C", 0)]
        assert result.elected == ["A", "B"]
    else:
        assert [(o.label, o.votes, o.is_winner) for o in result.options] == [("A", 5, True), ("B", 3, False)]
        assert result.sentence.startswith("L'option « A » l'emporte : 5 voix sur 8 suffrages exprimés")


def test_a_stored_tally_that_does_not_fit_its_question_is_an_error(database):
    world, poll, _ = counted_world()
    row = db.session.query(QuestionTally).filter(QuestionTally.federation_id.is_(None)).first()
    row.tally = '{"method": "single", "options": ["X"], "ballots": 0, "votes": {"X": 0}}'
    db.session.flush()
    with pytest.raises(CountError):
        results.get_results(poll)


def test_public_minutes_do_not_unmask_the_online_ballots_of_their_unit(database):
    """A section with 10 paper voters and 3 online ballots, all « Pour »: its minutes are public (the export),
    so publishing the section would show the 3 online votes; it is merged although it holds 13 ballots."""
    world = make_results_world()
    poll = open_poll(world)
    vote_on_paper(world, poll)
    echirolles_online = world.members["Échirolles"][PAPER_VOTERS:]
    for member in echirolles_online:
        vote(poll, member, "yes", 1, 1)
    for member, ballot in zip(world.members["Grenoble"], ONLINE["Grenoble"], strict=False):
        vote(poll, member, *ballot)
    poll, job = close_and_count(world, poll)
    found = results.get_results(poll)
    (isere,) = [s for s in found.sections if s.federation_label == "Fédération de Isère"]
    labels = [(c.label, c.ballots, c.is_merged) for c in isere.cells]
    assert ("Échirolles", PAPER_VOTERS + len(echirolles_online), False) not in labels
    merged = next(c for c in isere.cells if c.is_merged)
    assert "Échirolles" in merged.members
    # The merged cell's online part is itself large enough and not unanimous.
    assert merged.ballots - PAPER_VOTERS >= poll.secrecy_threshold


# --- the publishing rule as a property (no database) ------------------------------------------------

YES_NO = Question(VoteMethod.YES_NO_ABSTAIN)
QUESTION = results.QuestionResult(
    id=1, key="1", title="Texte", method=QuestionMethod.YES_NO_ABSTAIN, method_label="", counting=YES_NO,
    tally=Tally.empty(YES_NO), result={}, sentence="", rule_text=None,
    labels={"yes": "Pour", "no": "Contre", "abstain": "Abstention"},
)  # fmt: skip
figures = st.tuples(*(st.integers(0, 6) for _ in range(4)))  # yes, no, abstain, blank


def _tally(yes: int, no: int, abstain: int, blank: int) -> Tally:
    tally = Tally.empty(YES_NO)
    tally.add_tallies(votes={"yes": yes, "no": no, "abstain": abstain}, blank=blank)
    return tally


@settings(max_examples=300, deadline=None)
@given(
    units=st.lists(st.tuples(figures, figures | st.just((0, 0, 0, 0))), min_size=1, max_size=8),
    threshold=st.integers(1, 12),
)
def test_no_published_cell_unmasks_an_online_vote(units, threshold):
    built = []
    for index, (online, paper) in enumerate(units):
        online_tally, paper_tally = _tally(*online), _tally(*paper)
        built.append(
            results._Unit(
                key=("section", index),
                label=f"S{index}",
                level="section",
                registered=online_tally.ballots + paper_tally.ballots + 2,
                voters=online_tally.ballots + paper_tally.ballots,
                paper=paper_tally.ballots,
                full={1: online_tally + paper_tally},
                online={1: online_tally},
                parent=("federation", 1),
            )  # fmt: skip
        )
    views, withheld = results._disclose(built, [QUESTION], threshold, "Autres sections")
    seen: list[str] = []
    for view in views:
        part = view.online[1]
        assert part.ballots == 0 or (part.ballots >= threshold and not part.is_revealing())
        members = view.members if view.is_merged else [view.label]
        assert not set(members) & set(seen)
        seen.extend(members)
        if not view.is_merged:
            assert len(members) == 1
    # Units with online ballots are all published (alone or merged) unless the level is withheld; the
    # published cells then add up to the units' totals.
    if not withheld:
        assert sorted(seen) == sorted(u.label for u in built)
        total = sum((view.questions[1].tally for view in views), Tally.empty(YES_NO))
        assert total == sum((u.full[1] for u in built), Tally.empty(YES_NO))
    else:
        assert all(u.online_ballots == 0 for u in built if u.label in seen)
