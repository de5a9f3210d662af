"""Timeline: years said bare or in a list, times counted from the interview or said again
(« cette année-là »), years in written reports, and what is not a year. Issue 20, item 4."""

from __future__ import annotations

import re

import pytest

from narratif.ingest import ingest_file
from narratif.ingest.attributes import derive_birth_year, life_years
from narratif.nlp.parse import parse_document
from narratif.timeline.expressions import extract_timeline, find_expressions

pytestmark = pytest.mark.slow  # loads the French model or runs the pipeline (make test-fast skips it)


def _years(text: str, **kw) -> list[tuple[str, int | None]]:
    return [(text[s:e], y) for s, e, k, _, y in find_expressions(text, **kw) if k in ("year", "date", "decade")]


@pytest.mark.parametrize("text,expected", [
    # spoken or written years without a preposition, at the start of a clause told in the past
    ("quatre-vingt-deux j'ai quitté la Bretagne", [("quatre-vingt-deux", 1982)]),
    ("1995 on est arrivés à Montreuil", [("1995", 1995)]),
    ("et soixante-huit moi j'étais au lycée", [("soixante-huit", 1968)]),
    ("bon euh soixante-douze on s'est installés ici", [("soixante-douze", 1972)]),
    # coordinated years
    ("l'association a reçu le prix en 2013 et 2015", [("en 2013", 2013), ("2015", 2015)]),
    ("en 2013, 2014 et 2015 les chantiers ont continué", [("en 2013", 2013), ("2014", 2014), ("2015", 2015)]),
    ("j'ai repassé un diplôme en quatre-vingt-dix-huit quatre-vingt-dix-neuf",
     [("en quatre-vingt-dix-huit", 1998), ("quatre-vingt-dix-neuf", 1999)]),
    ("c'était en soixante-huit ou soixante-neuf", [("en soixante-huit", 1968), ("soixante-neuf", 1969)]),
    ("à la fin des années soixante et soixante-quinze", [("à la fin des années soixante", 1960),
                                                            ("soixante-quinze", 1975)]),
    # a report's dated history
    ("Créée en 2012, la coopérative fédère depuis 2015 une trentaine de structures",
     [("en 2012", 2012), ("depuis 2015", 2015)]),
    ("Le projet sera achevé d'ici 2030", [("d'ici 2030", 2030)]),
])
def test_years_said_bare_or_in_a_list(text, expected):
    assert _years(text, reference_year=2005) == expected


@pytest.mark.parametrize("text,number", [
    # quantities, prices, addresses, phone numbers, percentages: numbers that are not years
    ("ça coûtait deux mille euros à l'époque", "deux mille"),
    ("j'en ai acheté quatre-vingt-deux pour la fête", "quatre-vingt-deux"),
    ("il y avait quarante on était serrés", "quarante"),  # a count before a clause, not at a clause start
    ("vingt-deux on était dans la classe", "vingt-deux"),  # a count, and below thirty
    ("quatre-vingt-deux je partirai", "quatre-vingt-deux"),  # not a clause told in the past
    ("on payait 1500 € par mois", "1500"),
    ("en 2013 et 2015 salariés ont été embauchés", "2015"),
    ("en 2012, 2000 structures adhéraient", "2000"),
    ("en soixante-huit, trente personnes sont venues", "trente"),
    ("j'habitais au 1995 rue de la Paix", "1995"),
    ("appelez le 01 45 67 89 12 on vous répondra", "89"),
    ("mon numéro c'est le 06 12 34 56 78", "78"),
    ("les prix ont augmenté de 20 % en un an", "20"),
    ("dans les années on voyait ça", "années"),
    ("association loi de 1901, elle emploie 12 salariés", "1901"),
    ("l'association, régie par la loi du 1er juillet 1901, emploie 12 salariés", "1901"),
    ("reconnus par la loi du 31 juillet 2014, les pôles", "2014"),  # a legal reference, not the story's time
    ("près de 1500 QPV ont pu être identifiés", "1500"),
    ("un réseau de 1500 bénévoles", "1500"),
    ("le trois février une une réunion dans les écoles", "une une"),
])
def test_numbers_that_are_not_years(text, number):
    at = text.index(number)
    assert not [(s, e) for s, e, _, _, y in find_expressions(text, reference_year=2005)
                if y is not None and s < at + len(number) and at < e]


@pytest.mark.parametrize("text,value", [
    ("il y a huit, dix ans on a refait la cuisine", "now-9y"),
    ("il y a une vingtaine d'années on est venus", "now-20y"),
    ("y a à peu près trente ans ça a changé", "now-30y"),
    ("il y a douze ou treize ans", "now-12y"),
    ("ça fait deux ans qu'elle a fermé", "now-2y"),
    ("il y a une bonne quinzaine d'années", "now-15y"),
])
def test_times_counted_back_from_the_interview(text, value):
    assert value in [v for _, _, k, v, _ in find_expressions(text) if k == "relative"]


def test_a_duration_is_not_counted_back():
    """« ça fait vingt ans que j'habite ici » says how long, not when."""
    assert [k for _, _, k, _, _ in find_expressions("ça fait vingt ans que j'habite ici")] == ["duration"]


def _timeline(nlp, tmp_path, lines: list[str], attributes: dict | None = None):
    path = tmp_path / "entretien.txt"
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    doc = ingest_file(path, attributes)
    return extract_timeline(doc, parse_document(nlp, doc))


def _year_of(timeline, expression: str) -> int | None:
    return next(t.year for t in timeline if t.expression.lower() == expression)


def test_anaphoric_periods_take_the_year_of_their_antecedent(nlp, tmp_path):
    tl = _timeline(nlp, tmp_path, [
        "Anne : je suis arrivée à Lyon en quatre-vingt-deux.",
        "Anne : cette année-là j'ai trouvé du travail à l'usine.",
        "Anne : et la même année mon frère est parti au Canada.",
        "Anne : deux ans après on s'est mariés.",
        "Anne : à ce moment-là on habitait encore chez mes parents.",
        "Anne : dans les années quatre-vingt-dix on a beaucoup voyagé.",
        "Anne : à ce moment-là on avait une voiture.",
    ])
    assert _year_of(tl, "cette année-là") == 1982
    assert _year_of(tl, "la même année") == 1982
    assert _year_of(tl, "deux ans après") == 1984
    rows = [t for t in tl if t.expression.lower() == "à ce moment-là"]
    assert [t.year for t in rows] == [1984, None]  # the second one means the nineties, not a year


def test_an_anaphor_answers_the_interviewer_s_year(nlp, tmp_path):
    tl = _timeline(nlp, tmp_path, [
        "ENQ : et vous êtes arrivés à Paris en soixante-deux ?",
        "Paul : oui cette année-là on a trouvé un logement rue de Charonne.",
    ])
    assert _year_of(tl, "cette année-là") == 1962


def test_relatives_count_back_from_the_interview_date(nlp, tmp_path):
    tl = _timeline(nlp, tmp_path, [
        "Lina : il y a huit, dix ans on a quitté le quartier.",
        "Lina : il y a une vingtaine d'années j'ai commencé à travailler.",
    ], {"date": "2008-05-12"})
    assert _year_of(tl, "il y a huit, dix ans") == 1999
    assert _year_of(tl, "il y a une vingtaine d'années") == 1988


def test_a_relative_said_with_its_year_takes_it(nlp, tmp_path):
    tl = _timeline(nlp, tmp_path, ["Rose : elle est décédée quelques années plus tard euh en quatre-vingt-dix."])
    assert _year_of(tl, "quelques années plus tard") == 1990


def test_years_in_the_seed_report_paragraphs(shared_dir):
    """The study's own written paragraphs (``../shared/seeds``, the part not held back): every year
    said after « en », « depuis », « entre », « dès » is found, and what is a quantity, a citation or
    a name (« 1885 acteurs », « Près de 1500 QPV », « (Fraisie, 2018) », « Bliiida 2020 ») is not."""
    said, found = 0, 0
    not_years = {"1885 acteurs", "1500 QPV", "Fraisie, 2018", "Bliiida 2020", "Mercator 2013"}
    for name in ("001_f92f4361c3fa2b4f.txt", "002_d0cbea24b0b91578.txt", "003_4fc3610230cc7127.txt",
                 "004_f252e7b5ca6e7eca.txt"):
        for line in (shared_dir / "seeds" / name).read_text(encoding="utf-8").splitlines():
            dated = [(s, e, y) for s, e, k, _, y in find_expressions(line) if y is not None]
            for m in re.finditer(r"\b(?:[Ee]n|[Dd]epuis|[Ee]ntre|[Dd]ès|[Cc]réée?) ((?:19|20)\d\d)\b", line):
                said += 1
                found += any(s <= m.start(1) < e and y == int(m.group(1)) for s, e, y in dated)
            for wrong in not_years:
                at = line.find(wrong)
                assert at < 0 or not any(s < at + len(wrong) and at < e for s, e, _ in dated), (name, wrong)
    assert said >= 20 and found == said


def test_birth_and_interview_years_are_derived_in_one_place():
    assert life_years({"Année de naissance": "1931", "age": "75"}) == (1931, 2006)
    assert life_years({"age": "58 ans", "date": "12/03/2007"}) == (1949, 2007)
    assert life_years({"birth_year": "Ana: 1950; Marc: 1971"}) == (1950, None)
    assert life_years({"age": "200", "year": "2007"}) == (None, 2007)
    assert life_years(None) == (None, None)
    # the attribute tables store what the timeline reads
    assert derive_birth_year({"ANNÉE DE NAISSANCE": "1965", "AGE": "55"})["birth_year"] == "1965"
    assert derive_birth_year({"age": "58 ans", "date": "12/03/2007"})["birth_year"] == "1949"


def test_a_story_s_file_name_gives_the_year_it_was_told(nlp, shared_dir):
    """ParisStories names each recording by its year (« 2019_experienceFac.txt »): « l'année
    dernière » in it is 2018, « il y a deux ans » in a 2022 story 2020."""
    from narratif.timeline.dating import recorded_year

    assert recorded_year("2021_nouvelleCollegue.txt") == 2021 and recorded_year("entretien-2019.txt") is None
    assert recorded_year("/a/20190312_entretien.wav.txt") == 2019 and recorded_year("002_d0cbea24.txt") is None
    for name, expression, year in (("2019_experienceFac.txt", "l'année dernière", 2018),
                                   ("2022_giteEnMontagne.txt", "il y a deux ans", 2020)):
        doc = ingest_file(shared_dir / "corpora" / "parisstories" / name)
        tl = extract_timeline(doc, parse_document(nlp, doc))
        assert year in [t.year for t in tl if t.expression.lower() == expression], name
    # the register's interview year wins over the file name
    doc = ingest_file(shared_dir / "corpora" / "parisstories" / "2022_giteEnMontagne.txt", {"year": "2023"})
    assert 2021 in [t.year for t in extract_timeline(doc, parse_document(nlp, doc))
                    if t.expression.lower() == "il y a deux ans"]
