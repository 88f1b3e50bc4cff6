"""The document parser: text repairs, records and the curated outline (no Flask, no database)."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from seed import parse
from seed.records import SeedDocument


@pytest.fixture(scope="module")
def raw() -> str:
    return parse.DOCUMENT_PATH.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def outline() -> dict:
    return parse.load_outline(parse.OUTLINE_PATH)


@pytest.fixture(scope="module")
def doc(raw: str, outline: dict) -> SeedDocument:
    return parse.parse_document(raw, outline)


def _blocks(doc: SeedDocument):
    return [(p, c, b) for p in doc.parts for c in p.chapters for b in c.blocks]


def _chapter(doc: SeedDocument, part: str, number: str):
    p = next(p for p in doc.parts if p.number == part)
    return next(c for c in p.chapters if c.number == number)


# --- text repairs -------------------------------------------------------------


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (["la délin-", "quance"], "la délinquance"),
        (["de la Gen-", "darmerie"], "de la Gendarmerie"),
        (["pour l'ex-", "pression"], "pour l'expression"),
        (["au porte-", "feuille"], "au portefeuille"),
        (["de la sécu-", "rité ."], "de la sécurité."),
        (["le bien-", "être général"], "le bien-être général"),
        (["en Île-de-", "France"], "en Île-de-France"),
        (["en Île-", "de-France"], "en Île-de-France"),
        (["à Saint-", "Etienne-du-Rouvray"], "à Saint-Etienne-du-Rouvray"),
        (["c'est-", "à-dire"], "c'est-à-dire"),
        (["le vice-", "président"], "le vice-président"),
        (["Floran VADILLO, Vice-", "Président"], "Floran VADILLO, Vice-Président"),
        (["le Royaume-", "Uni"], "le Royaume-Uni"),
        (["le conjoint ou l’ex-", "conjoint"], "le conjoint ou l’ex-conjoint"),
        (["du réseau de garde- ", "champêtres"], "du réseau de garde-champêtres"),
        (["Hollande (2012-", "2017)"], "Hollande (2012-2017)"),
        (["ni la tentative - ", "bienvenue - de"], "ni la tentative - bienvenue - de"),
    ],
)
def test_join_lines_repairs_hyphenation(lines: list[str], expected: str) -> None:
    assert parse.join_lines(lines) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("en 1997 . Celui-ci", "en 1997. Celui-ci"),
        ("de gauche . Notre", "de gauche. Notre"),
        ("M . Balladur", "M. Balladur"),
        ("les élus locaux , la police", "les élus locaux, la police"),
        ("la sécurité  de  tous", "la sécurité de tous"),
        ("Pourquoi ? Parce que", "Pourquoi ? Parce que"),
        ("l'hésitation : la sécurité", "l'hésitation : la sécurité"),
        ("et l'Hypercacher ; les attentats", "et l'Hypercacher ; les attentats"),
        ("une affaire de gauche ! »", "une affaire de gauche ! »"),
        ("3.295 en 2009", "3.295 en 2009"),
    ],
)
def test_clean_text_fixes_stray_spaces_but_keeps_french_spacing(text: str, expected: str) -> None:
    assert parse.clean_text(text) == expected


@pytest.mark.parametrize("line", ["Sécurité et prévention de la délinquance", " 15", "14"])
def test_noise_lines(line: str) -> None:
    assert parse.is_noise(line)


def test_text_line_is_not_noise() -> None:
    assert not parse.is_noise("2024 : +11% de tentatives")


# --- the whole text -----------------------------------------------------------


def test_every_line_of_the_document_is_used(doc: SeedDocument) -> None:
    assert [w for w in doc.warnings if "non reprise" in w] == []


def test_blocks_are_clean(doc: SeedDocument) -> None:
    for _part, _chapter, block in _blocks(doc):
        text = block.text
        assert text and text == text.strip()
        assert "\n" not in text
        assert "  " not in text
        assert "- \n" not in text
        assert not re.search(r"\s[.,](?!\d)", text), text
        assert "Sécurité et prévention de la délinquance" not in text
        assert not re.search(r"(^|\s)\d{1,3}$", text) or block.kind == "subheading", text


def test_no_line_end_hyphen_left_in_known_words(doc: SeedDocument) -> None:
    body = " ".join(b.text for _p, _c, b in _blocks(doc))
    for broken in ("délin- quance", "délin-quance", "Gen-darmerie", "sécu-rité"):
        assert broken not in body
    for compound in (
        "bien-être",
        "Saint-Etienne-du-Rouvray",
        "Île-de-France",
        "Royaume-Uni",
        "l’ex-conjoint",
    ):
        assert compound in body


def test_parts_in_logical_order(doc: SeedDocument) -> None:
    assert [p.number for p in doc.parts] == ["", "I", "II", "III", "IV", "V"]
    assert doc.parts[2].title == (
        "GARANTIR L’ÉGALITÉ DANS L’ACCÈS AU SERVICE PUBLIC DE SÉCURITÉ "
        "POUR TOUS LES TERRITOIRES DE LA RÉPUBLIQUE"
    )


@pytest.mark.parametrize(
    ("part", "numbers"),
    [
        ("I", ["1", "2", "3", "4", ""]),
        ("II", ["1", "2", "3", "4", "5", "6", "7", "8"]),
        ("III", ["1", "2"]),
        ("IV", ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10"]),
        ("V", ["1", "2"]),
    ],
)
def test_chapters_in_logical_order(doc: SeedDocument, part: str, numbers: list[str]) -> None:
    p = next(p for p in doc.parts if p.number == part)
    assert [c.number for c in p.chapters] == numbers


def test_restored_chapter_titles_and_bodies(doc: SeedDocument) -> None:
    ch3 = _chapter(doc, "II", "3")
    ch4 = _chapter(doc, "II", "4")
    assert ch3.title.startswith("RÉAFFIRMER LA COMPÉTENCE RÉGALIENNE DE L’ÉTAT")
    assert ch3.blocks[0].text.startswith(
        "La sécurité fait partie des fonctions essentielles de l'État"
    )
    assert ch4.title.startswith("LA SITUATION ACTUELLE")
    assert ch4.blocks[0].text.startswith("Dès la période allant de 1993 à 1995")
    # chapter 4 continues across the misplaced headings and the page number « 14 »
    assert any(
        b.text.startswith("Surtout, le projet de « police de sécurité du quotidien »")
        for b in ch4.blocks
    )
    assert not any("cambriolages.14" in b.text or ".14" in b.text for b in ch4.blocks)
    intro = doc.parts[1]
    assert intro.chapters[1].title.startswith("LEVER L’AMBIGUÏTÉ SÉCURITÉ/SÉCURITAIRE")
    assert intro.chapters[-1].title == "CONCLUSION"


def test_heading_printed_inside_a_proposal_is_removed(doc: SeedDocument) -> None:
    ch6 = _chapter(doc, "II", "6")
    proposal = next(b for b in ch6.blocks if b.text.startswith("De réformer la gouvernance"))
    assert "priorités d’action des forces de sécurité. Les maires doivent" in proposal.text
    assert "REPENSER" not in proposal.text


def test_preamble_keeps_the_front_matter(doc: SeedDocument) -> None:
    preamble = doc.parts[0]
    assert preamble.number == ""
    assert preamble.chapters[0].title.startswith("POURQUOI UNE CONVENTION NATIONALE")
    texts = [b.text for c in preamble.chapters for b in c.blocks]
    assert any(t.startswith("Ce texte indique désormais notre position") for t in texts)
    assert any("Olivier Faure a décidé" in t for t in texts)
    # the pages imported as records are not text
    assert not any("AFNOR" in t or "CONTRIBUTIONS REÇUES" in t or "17 AVRIL" in t for t in texts)


@pytest.mark.parametrize(
    ("part", "chapter", "count"), [("II", "5", 5), ("II", "6", 10), ("V", "1", 7), ("IV", "9", 10)]
)
def test_proposals_per_chapter(doc: SeedDocument, part: str, chapter: str, count: int) -> None:
    proposals = [b for b in _chapter(doc, part, chapter).blocks if b.kind == "proposal"]
    assert len(proposals) == count
    assert [b.number for b in proposals] == [str(i) for i in range(1, count + 1)]


def test_proposal_intro_is_a_paragraph_and_bullets_are_proposals(doc: SeedDocument) -> None:
    ch5 = _chapter(doc, "II", "5")
    i = next(i for i, b in enumerate(ch5.blocks) if b.text == "Les socialistes proposent :")
    assert ch5.blocks[i].kind == "paragraph"
    assert ch5.blocks[i + 1].kind == "proposal"
    assert ch5.blocks[i + 1].text.startswith(
        "Assurer une juste rémunération est une condition sine qua non"
    )
    # the dash sub-items of « Reprendre deux recommandations … » are list items
    dilcrah = next(
        i for i, b in enumerate(ch5.blocks) if b.text.startswith("Reprendre deux recommandations")
    )
    assert [b.kind for b in ch5.blocks[dilcrah + 1 : dilcrah + 3]] == ["list_item", "list_item"]


def test_descriptive_lists_are_not_proposals(doc: SeedDocument) -> None:
    ch6 = _chapter(doc, "IV", "6")
    item = next(
        b for b in ch6.blocks if b.text.startswith("La date, l’heure et le lieu du contrôle")
    )
    assert item.kind == "list_item"


def test_recommendations_one_to_five(doc: SeedDocument) -> None:
    recs = [b for _p, _c, b in _blocks(doc) if b.kind == "recommendation"]
    assert [r.number for r in recs] == ["1", "2", "3", "4", "5"]
    assert recs[0].text.startswith("Réorienter les politiques publiques de sécurité")
    assert recs[4].text.endswith("de racisme ou de xénophobie.")


def test_subheadings(doc: SeedDocument) -> None:
    subs = [b.text for _p, _c, b in _blocks(doc) if b.kind == "subheading"]
    assert "PIERRE JOXE, PIONNER ET RÉFORMATEUR" in subs
    assert any(s.startswith("LIONEL JOSPIN ET LES MINISTRES DE L’INTÉRIEUR") for s in subs)
    assert "Focus : Exemple de Nanterre" in subs
    assert not any(s.startswith("FEMMES") for s in subs)


def test_parse_is_deterministic(raw: str, outline: dict, doc: SeedDocument) -> None:
    assert parse.parse_document(raw, outline) == doc


# --- convention -------------------------------------------------------------


def test_convention_dates(doc: SeedDocument) -> None:
    c = doc.convention
    assert c.slug == "securite-prevention-2025"
    assert c.initiator == "Olivier Faure"
    assert (c.working_groups_start, c.working_groups_end) == (
        dt.date(2023, 9, 1),
        dt.date(2024, 12, 31),
    )
    assert c.national_bureau_on == dt.date(2025, 3, 4)
    assert c.members_vote_on == dt.date(2025, 4, 3)
    assert c.convention_day_on == dt.date(2025, 4, 26)
    assert not [w for w in doc.warnings if w.startswith(("Date clé", "Initiateur"))]


# --- people, steering, groups --------------------------------------------------


def test_spelling_variants_are_one_person(doc: SeedDocument) -> None:
    names = [p.full_name for p in doc.people]
    assert len(names) == len(set(names))
    assert names.count("Nesrine REZZAG BARA") == 1 and "Nesrine REZZAG-BARA" not in names
    assert "Nicolas Nordman" not in names and "Nicolas NORDMAN" in names
    vicot = next(p for p in doc.people if p.full_name == "Roger VICOT")
    assert (vicot.first_name, vicot.last_name) == ("Roger", "Vicot")
    assert vicot.titles.startswith("Député du Nord, secrétaire national à la Sécurité\n")
    assert "« Sécurité : vraies questions et faux débats » (L’Harmattan, 2017)" in vicot.titles
    rb = next(p for p in doc.people if p.full_name == "Nesrine REZZAG BARA")
    assert rb.last_name == "Rezzag Bara"


def test_steering(doc: SeedDocument) -> None:
    roles = {(s.person, s.role): s for s in doc.steering}
    assert [s.person for s in doc.steering if s.role == "pilot"] == [
        "Roger VICOT",
        "Nesrine REZZAG BARA",
    ]
    assert roles[("Nicolas NORDMAN", "committee")].representing == "TO3"
    assert roles[("Jean-Paul JEANDON", "committee")].representing == "TO1"
    assert "KALFON" in roles[("Jean-Paul JEANDON", "committee")].note
    assert roles[("Jérôme DURAIN", "committee")].role_label == "Membre du comité de pilotage"
    assert [s.position for s in doc.steering] == list(range(1, len(doc.steering) + 1))
    people = {p.full_name for p in doc.people}
    assert all(s.person in people for s in doc.steering)


def test_working_groups(doc: SeedDocument) -> None:
    assert [(g.number, g.title, g.animators) for g in doc.working_groups] == [
        (1, "Quelle réforme de la police nationale ? Recrutement, formation, répartition, doctrine d’emploi, déontologie", ("Roger VICOT",)),
        (2, "La prévention de la délinquance au coeur de notre vision", ("Nesrine REZZAG BARA",)),
        (3, "Le trafic de stupéfiants : quelle répression, quelle prévention, quelle stratégie globale? (salles de consommation à moindres risques, légalisation, dépénalisation,...)", ("Jérôme DURAIN", "Anna PIC")),
        (4, "Police, gendarmerie, justice : quelles relations pour quoi faire ?", ("Floran VADILLO",)),
        (5, "Entre régalien et local : architecture de la gouvernance de la sécurité en France", ("Nicolas NORDMAN",)),
        (6, "Relations police-population", ("Alexandra JARDIN", "Jérôme DURAIN")),
        (7, "Nouveaux défis technologiques et sécurité", ("Louis L’HARIDON",)),
    ]  # fmt: skip


# --- events -------------------------------------------------------------------


def test_events_count_and_year(doc: SeedDocument) -> None:
    # 25 dated entries in the calendar; 9 December holds two (Matin / Soir)
    assert len(doc.events) == 26
    assert {e.date.year for e in doc.events} == {2024}
    assert [e.position for e in doc.events] == list(range(1, 27))
    assert doc.events[0].date == dt.date(2024, 4, 17)


def test_ninth_of_december_gives_two_events(doc: SeedDocument) -> None:
    dec9 = [e for e in doc.events if e.date == dt.date(2024, 12, 9)]
    assert [e.part_of_day for e in dec9] == ["Matin", "Soir"]
    assert dec9[0].people == ("Roger VICOT", "Jérôme DURAIN")
    assert dec9[1].kind == "federation_meeting" and dec9[1].federation == "Isère"


@pytest.mark.parametrize(
    ("date", "index", "kind", "groups", "experts", "place", "federation"),
    [
        ("2024-04-17", 0, "federation_meeting", (), (), "", "Haute-Garonne"),
        ("2024-04-29", 0, "working_group", (5,), (), "", ""),
        ("2024-05-02", 0, "hearing", (), ("Thomas DUMORTIER",), "", ""),
        ("2024-08-29", 0, "workshop", (), (), "", ""),
        ("2024-10-08", 0, "working_group", (7,), (), "", ""),
        ("2024-10-14", 1, "working_group", (5,), (), "", ""),
        ("2024-10-23", 0, "federation_meeting", (), (), "Fédération de Seine-Saint-Denis, 29 rue André Joineau 93310 LE PRÉ SAINT GERVAIS", "Seine-Saint-Denis"),
        ("2024-11-06", 0, "federation_meeting", (), (), "Rennes", "Ille-et-Vilaine"),
        ("2024-11-12", 0, "hearing", (7,), ("Raphaël Maurel",), "", ""),
        ("2024-11-25", 0, "hearing", (2, 1), ("Etienne ALLAIS",), "", ""),
        ("2024-11-25", 1, "debate", (), (), "", ""),
        ("2024-11-30", 0, "federation_meeting", (), (), "Liévin", "Pas-de-Calais"),
        ("2024-12-04", 0, "hearing", (6, 3), ("Christophe KORELL",), "", ""),
        ("2024-12-04", 1, "debate", (), (), "", ""),
    ],
)  # fmt: skip
def test_event_details(doc, date, index, kind, groups, experts, place, federation) -> None:
    event = [e for e in doc.events if e.date == dt.date.fromisoformat(date)][index]
    assert (event.kind, event.working_groups, event.experts, event.place, event.federation) == (
        kind, groups, experts, place, federation,
    )  # fmt: skip


def test_event_people_and_experts_are_people(doc: SeedDocument) -> None:
    people = {p.full_name: p for p in doc.people}
    for event in doc.events:
        assert all(n in people for n in event.people + event.experts)
    assert (
        people["Thomas DUMORTIER"].organisation
        == "Commission nationale consultative des droits de l’homme"
    )
    assert people["Etienne ALLAIS"].titles.startswith("formateur déontologie")
    workshop = next(e for e in doc.events if e.kind == "workshop")
    assert "François KALFON" not in workshop.people and "Louis L’HARIDON" in workshop.people


# --- contributions and acronyms -----------------------------------------------


def test_contributions(doc: SeedDocument) -> None:
    platform = [c for c in doc.contributions if c.list_name == "platform"]
    email = [c for c in doc.contributions if c.list_name == "email"]
    assert [c.number for c in platform] == [n for n in range(1, 27) if n != 5]
    assert [c.number for c in email] == list(range(1, 10))
    by = {(c.list_name, c.number): c for c in doc.contributions}
    assert (
        by[("platform", 3)].title
        == "Contribution « Sécurité, Liberté et Vivre ensemble » par Christian Mazé"
    )
    assert by[("platform", 3)].author_name == "Christian Mazé"
    assert by[("platform", 4)].section == "Rhône Crussol"
    assert by[("platform", 13)].federation == "Ardèche"
    assert by[("platform", 19)].title == "Rémi Teston et la Section socialiste « Aubenas – Jaurès »"
    assert by[("platform", 21)].section == "Paris 14e"
    assert by[("platform", 26)].title == "Travailler sur les clichés"
    assert by[("email", 5)].federation == "Ille-et-Vilaine"
    assert by[("email", 9)].title.endswith("copilotée par Loline BERTIN et Nicolas NORDMAN")
    assert any("numéro 5 manque" in w for w in doc.warnings)


def test_acronyms(doc: SeedDocument) -> None:
    acr = {a.abbreviation: a for a in doc.acronyms}
    assert len(doc.acronyms) == 36
    assert (
        acr["CAARUD"].expansion
        == "Centres d’Accueil et d’Accompagnement à la Réduction des risques pour Usagers de Drogues"
    )
    assert (
        acr["JOP"].expansion == "Jeux Olympiques de Paris" and acr["JOP"].corrected_expansion == ""
    )
    assert acr["REAAP"].expansion == "Révision générale des politiques publiques"
    assert (
        acr["REAAP"].corrected_expansion
        == "Réseaux d’écoute, d’appui et d’accompagnement des parents"
    )
    assert acr["FFSU"].corrected_expansion == "Forum français pour la sécurité urbaine"
    assert (
        acr["CNCDH"].corrected_expansion
        == "Commission nationale consultative des droits de l’homme"
    )
    assert acr["FIPDR"].corrected_expansion.startswith("Fonds interministériel de prévention")
    assert acr["CLSM"].corrected_expansion == "Conseil local de santé mentale"
    for a in doc.acronyms:
        assert "\n" not in a.expansion and "  " not in a.expansion
        assert bool(a.corrected_expansion) == bool(a.correction_note)


# --- outline errors -----------------------------------------------------------


def test_missing_anchor_is_an_error(raw: str, outline: dict) -> None:
    broken = {
        **outline,
        "sections": {**outline["sections"], "calendar": ["NO SUCH LINE", "Soir :"]},
    }
    with pytest.raises(parse.OutlineError):
        parse.parse_document(raw, broken)


def test_raw_fix_must_match_once(raw: str, outline: dict) -> None:
    broken = {**outline, "fixes": [{"find": "la sécurité", "replace": "x"}]}
    with pytest.raises(parse.OutlineError):
        parse.parse_document(raw, broken)


def test_summary_mentions_counts(doc: SeedDocument) -> None:
    text = parse.summary(doc)
    assert "Événements : 26" in text and "acronymes : 36" in text
