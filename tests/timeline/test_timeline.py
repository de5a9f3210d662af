"""Timeline: French number words, temporal expressions on real oral text, anchoring."""

from __future__ import annotations

import pytest

from narratif.ingest import ingest_file
from narratif.models import TurningPoint
from narratif.nlp.parse import parse_document
from narratif.timeline.numbers import decade_start, find_numbers, spoken_year, words_to_int
from narratif.timeline.anchoring import anchor_turning_points, life_course
from narratif.timeline.expressions import extract_timeline, find_expressions

pytestmark = pytest.mark.slow  # loads the French model or runs the pipeline (make test-fast skips it)


@pytest.mark.parametrize("words,value", [
    ("cinquante-deux", 52), ("quatre-vingt-dix-neuf", 99), ("mille neuf cent soixante-huit", 1968),
    ("deux mille dix", 2010), ("soixante et onze", 71), ("dix-neuf cent vingt-et-un", 1921), ("1969", 1969),
    ("bonjour", None),
])
def test_words_to_int(words, value):
    assert words_to_int(words) == value


def test_spoken_years_and_decades():
    assert spoken_year(52) == 1952
    assert spoken_year(5, reference_year=2019) == 2005
    assert spoken_year(99, reference_year=2008) == 1999
    assert spoken_year(1969) == 1969
    assert decade_start(70) == 1970 and decade_start(71) is None
    assert [v for _, _, v in find_numbers("arrivés en cinquante-deux à dix-huit ans")] == [52, 18]


@pytest.mark.parametrize("text,kind,value,year", [
    ("on est arrivés en cinquante-deux à Paris", "year", "1952", 1952),
    ("dans les années soixante-dix on habitait là", "decade", "197X", 1970),
    ("à dix-huit ans je suis parti", "age", "age:18", 1968),
    ("deux ans après on a déménagé", "relative", "+2y", None),
    ("l'année d'après elle est née", "relative", "+1y", None),
    ("il était blessé dans la guerre de quatorze", "period", "dans la guerre de quatorze", 1914),
    ("alors ils se sont installés là en dix-neuf cent vingt-et-un", "year", "1921", 1921),
    # session 5, from the blind passages' misses
    ("avant le covid on sortait plus", "period", "avant le covid", 2019),
    ("avec le Covid tout a changé", "period", "avec le covid", 2020),
    ("depuis la fin de mes études je travaille ici", "relative", "after", None),
    ("juste après leur naissance on a déménagé", "relative", "after", None),
    ("j'ai habité là jusqu'à peut-être neuf ans", "age", "age:9", 1959),
    # a monograph's chronology, a chronicle's heading (the Saint-Simon memoirs' « 1723 »)
    ("2008 – création de la SCIC", "year", "2008", 2008),
    ("2015 : premier financement de la région", "year", "2015", 2015),
    ("1723", "year", "1723", 1723),
    ("1999-2004 : premier mandat de la coopérative", "year", "2004", 2004),
    ("le mandat 2014-2020 a été difficile", "year", "2014", 2014),
])
def test_find_expressions(text, kind, value, year):
    found = find_expressions(text, birth_year=1950)
    assert (kind, value, year) in [(k, v, y) for _, _, k, v, y in found]


@pytest.mark.parametrize("text", ["2000 - 3000 euros par mois", "1500 personnes sont venues", "on a payé 2008 euros",
                                  "entre 1500 et 2000 euros", "appelez le 01-2014-2020"])
def test_a_number_at_the_start_of_a_line_is_not_a_chronology_year(text):
    assert [k for _, _, k, _, _ in find_expressions(text)] == []


def test_third_person_age_is_not_the_narrators_year():
    [(_, _, kind, value, year)] = find_expressions("il avait cinquante ans", birth_year=1950)
    assert (kind, value, year) == ("age", "age:50", None)


def test_real_cfpp_interview_spoken_year(nlp, shared_dir):
    doc = ingest_file(shared_dir / "corpora/cfpp2000/Mira_F_88_14e-v2.txt")
    parsed = parse_document(nlp, doc)
    tl = extract_timeline(doc, parsed, birth_year=1920)
    arrived = [t for t in tl if t.kind == "year" and t.year == 1952]
    assert arrived and "cinquante-deux" in arrived[0].expression
    assert doc.text[arrived[0].start:arrived[0].end] == arrived[0].expression
    assert arrived[0].orientation == "past"
    # the interviewer's "vous êtes arrivés en cinquante-deux" is not the narrator's timeline
    interviewer_sents = {s.sent_id for p in parsed if p.segment.role == "interviewer" for s in p.sentences}
    assert not any(t.sent_id in interviewer_sents for t in tl)
    assert {t.orientation for t in tl} <= {"past", "present", "future"}


def test_real_story_relative_resolution_and_anchoring(nlp, shared_dir):
    doc = ingest_file(shared_dir / "corpora/parisstories/2021_neesLeMemeMois.txt")
    parsed = parse_document(nlp, doc)
    tl = extract_timeline(doc, parsed)
    assert any(t.year == 2010 and "deux mille dix" in t.expression for t in tl)
    sent = next(s for p in parsed for s in p.sentences if "j'ai rencontré Maud" in s.text)
    tp = TurningPoint(doc.doc_id, sent.seg_id, sent.sent_id, sent.start, sent.end, sent.text, "rencontre",
                      "levier", 1.0, "test")
    [anchored] = anchor_turning_points([tp], tl, parsed)
    assert anchored.year == 2010 and "deux mille dix" in anchored.time_anchor


def test_orientation_of_real_sentences(nlp):
    from narratif.timeline.expressions import orientation

    doc = nlp("je suis arrivée à Paris en février. maintenant je travaille ici. demain je partirai.")
    assert [orientation(s) for s in doc.sents] == ["past", "present", "future"]


def test_life_course_orders_by_year_then_narrative():
    def tp(sid, year):
        return TurningPoint("d", 0, sid, 0, 1, "x", "mobilite", None, 1.0, "", None, year)

    ordered = life_course([tp(1, 1970), tp(2, None), tp(3, 1952), tp(4, None)])
    assert [t.sent_id for t in ordered] == [3, 4, 1, 2]


@pytest.mark.parametrize("text", [
    "il y avait plus de mille personnes à la fête",
    "une association régie par la loi de 1901",
    "l'association loi du 1er juillet 1901 a été créée",
    "la liste a eu quarante voix de plus",
    "élu avec une avance de quarante voix",
    "plus de quarante pour cent des habitants",
    "une majorité de plus de quarante-cinq ans",
    "les villages sont à plus de vingt minutes de route",
    "il a réduit de soixante pour cent les émissions",
])
def test_quantities_and_legal_references_are_not_years(text):
    assert not [f for f in find_expressions(text) if f[4] is not None], find_expressions(text)


@pytest.mark.parametrize("text,year", [
    ("dans les années quarante on habitait rue Daguerre", 1940),
    ("pendant la guerre de quarante il était prisonnier", 1939),
    ("en quarante on est partis en zone libre", 1940),
    ("je suis née en mille neuf cent vingt", 1920),
])
def test_real_years_in_forty_still_found(text, year):
    assert year in [f[4] for f in find_expressions(text, orientation="past")]


def test_short_spoken_year_needs_a_past_context():
    assert not [f for f in find_expressions("en quarante minutes on y est", orientation="present") if f[4]]


def test_monograph_has_no_phantom_years(shared_dir, nlp):
    """The sample monograph: no 1908 (= "loi de 1901" + "sept ans après"), no quantity read as a year."""
    from pathlib import Path

    pdf = Path(__file__).resolve().parents[2] / "corpora/sample/monographie_vallee_dromette.pdf"
    doc = ingest_file(pdf)
    years = {t.year for t in extract_timeline(doc, parse_document(nlp, doc)) if t.year}
    assert years and not years & {1000, 1901, 1908, 1920, 1945, 1960}
    assert {1921, 2008, 2019} <= years


@pytest.mark.parametrize("text,kind,year", [
    ("il est resté chez nous jusqu'à [pause] vingt ans", "age", 1970),  # markup inside the expression
    ("Inde a eu sa libération en mille neuf cent s- quarante sept", "year", 1947),  # a word fragment
    ("j'ai habité dans le dix-septième euh de soixante-douze à soixante-seize", "year", 1976),
    ("entre la fin des années soixante et je dirais", "decade", 1960),
    ("les années début des années quatre-vingts donc", "decade", 1980),
    ("dans les années quatre-vingt-cinq", "decade", 1985),  # a year said loosely
    ("quand Valérie a eu six ans", "age", None),  # someone else's age: no year from the narrator's birth
    ("depuis l'âge de seize ans", "age", 1966),
    ("quand j'avais trois ou quatre ans", "age", 1953),
    ("en repassant un diplôme en quatre-vingt-dix-huit quatre-vingt-dix-neuf", "year", 1998),
])
def test_oral_forms_of_years_and_ages(text, kind, year):
    found = find_expressions(text, orientation="past", birth_year=1950)
    assert (kind, year) in [(f[2], f[4]) for f in found], found
    for s, e, *_ in found:  # offsets index the original text, on word boundaries
        assert text[s].isalnum() and text[e - 1].isalnum() and "[" not in text[s:s + 1]


def test_range_keeps_both_years_and_rejects_counts():
    years = [f[4] for f in find_expressions("de soixante-douze à soixante-seize", orientation="past")]
    assert years == [1972, 1976]
    assert not find_expressions("de trois à quatre personnes", orientation="past")


def test_short_year_in_a_present_sentence_but_not_in_a_future_one():
    assert [f[4] for f in find_expressions("depuis quatre-vingt-cinq oui", orientation="present")] == [1985]
    assert not [f for f in find_expressions("en quarante on ira voir", orientation="future") if f[4]]


def test_vague_later_is_not_resolved_to_the_anchor_year():
    (expr,) = find_expressions("un peu plus tard on a déménagé", orientation="past")
    assert expr[2:] == ("relative", "later", None)


def test_timeline_against_hand_annotation(shared_dir):
    """25 annotated CFPP2000 passages (benchmarks/eval_timeline.py): a regression guard, not a target."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    import eval_timeline

    result = eval_timeline.evaluate(shared_dir)
    assert result["passages"] == 25 and result["gold"] >= 150
    # P fell from 0.93 to 0.76 when back-references (« à l'époque ») and school years (« en
    # primaire ») became periods: this annotator left them out, the guide and two others did not
    assert result["P"] >= 0.7 and result["F1"] >= 0.65
    assert result["year_accuracy"] >= 0.8
    blind = eval_timeline.evaluate(shared_dir, gold_dir=eval_timeline.BLIND)  # annotated with GUIDE.md
    assert blind["passages"] == 24 and blind["P"] >= 0.8 and blind["F1"] >= 0.4


@pytest.mark.parametrize("folder", ["cfpp2000-passages", "cfpp2000-passages-heldout", "cfpp2000-passages-blind"])
def test_timeline_annotations_are_valid(shared_dir, tmp_path, folder):
    import csv
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    sys.path.insert(0, str(root / "scripts"))
    import cfpp_passages

    gold = root / "tests" / "data" / "timeline" / folder
    texts = {p.stem: p for p in cfpp_passages.materialise(shared_dir, tmp_path)}
    files = sorted(gold.glob("*.tsv"))
    assert len(files) >= 20
    for path in files:
        lines = texts[path.stem].read_text(encoding="utf-8").splitlines()
        with path.open(encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
            assert reader.fieldnames == ["line", "expression", "kind", "year", "note"], path.name
            for row in reader:
                where = f"{path.stem}:{row['line']}"
                assert row["expression"] in lines[int(row["line"]) - 1], where
                assert row["kind"] in {"year", "decade", "age", "date", "relative", "period"}, where
                assert row["year"] == "" or 1800 <= int(row["year"]) <= 2030, where


@pytest.mark.parametrize("text,expected", [
    ("le huit juillet mille neuf cent quarante-quatre", [("date", 1944)]),  # the day is kept with the year
    ("deux mille euh deux mille six", [("year", 2006)]),  # a restart keeps the completed year
    # a hesitation between two years names both (issue 20: annotators mark both)
    ("en quatre-vingt-dix-huit quatre-vingt-dix-neuf", [("year", 1998), ("year", 1999)]),
    ("en quarante-trois [pause] avril quarante-trois", [("year", 1943), ("year", 1943)]),  # no 43rd of April
    ("bien après la guerre", [("period", None)]),
    ("c'était beaucoup plus [pause] tard", [("relative", None)]),
    ("il y a eu vingt ans", []),
    ("on était de trente à quarante", []),
    ("on était deux mille un peu plus", []),
    ("il a épousé maman en trente euh trente-cinq", [("year", 1935)]),  # a restart inside a word
    ("déménagé en mille neuf cent euh attendez en mille neuf cent quatre-vingt-seize", [("year", 1996)]),
    ("ils habitent là depuis vingt ou trente ans", []),  # a count of years, not 1920
    ("arrivé à Nogent en deux-mille-treize en oui en deux-mille-six", [("year", 2006)]),  # a self-correction
    ("arrivé en soixante-dix ou plutôt en soixante-douze", [("year", 1972)]),
    ("arrivé en soixante-dix et en soixante-douze", [("year", 1970), ("year", 1972)]),  # a list stays
    ("on est arrivés ici à l'été quatre-vingt-dix-huit", [("year", 1998)]),
    ("on est partis au printemps soixante-deux", [("year", 1962)]),
    ("les chiffonniers sont venus s'installer après la guerre de quatorze", [("period", 1919)]),
    ("avant la guerre de quarante on vivait à Belleville", [("period", 1938)]),
    ("pendant la guerre de quatorze", [("period", 1914)]),
])
def test_review_cases(text, expected):
    assert [(f[2], f[4]) for f in find_expressions(text, orientation="past")] == expected


def test_no_sentence_starts_inside_a_spoken_number(nlp):
    """The parser cut unpunctuated speech inside numbers (« en mille | neuf cent … »)."""
    from narratif.nlp.components import keep_spoken_numbers_whole

    assert "narratif_spoken_numbers" in nlp.pipe_names
    doc = nlp("alors on est partis en soixante - trois vous êtes arrivée en mille neuf cent soixante et un "
              "il y en a quatre cinq")
    numbers = {"soixante", "-", "trois", "mille", "neuf", "cent", "et", "un", "cinq"}
    for tok in doc[1:]:
        if tok.is_sent_start:
            assert not (tok.lower_ in numbers and doc[tok.i - 1].lower_ in numbers | {"quatre"}), tok.text
    # the component itself, on a doc with every boundary preset
    bare = nlp.make_doc("en soixante quinze. Deux ans après")
    for tok in bare:
        tok.is_sent_start = True
    keep_spoken_numbers_whole(bare)
    assert [t.text for t in bare if t.is_sent_start is False] == ["quinze"]


def test_real_decade_split_by_the_parser_and_a_hedge(nlp, shared_dir):
    """CFPP2000, Christophe André: « dans les années disons euh [pause] soixante quinze »."""
    doc = ingest_file(shared_dir / "corpora/cfpp2000/Christophe_Andre_H_62_Marie_Anne_Andre_F_63_5e-v2.txt")
    parsed = parse_document(nlp, doc)
    line = doc.text.split("\n").index(next(ln for ln in doc.text.split("\n") if "clochards avaient disparu" in ln))
    sents = [s for p in parsed for s in p.sentences if doc.text.count("\n", 0, s.start) == line]
    last = sents[-1]
    assert doc.text[last.start:last.end].endswith("soixante quinze")
    years = [t.year for t in extract_timeline(doc, parsed) if t.sent_id == last.sent_id]
    assert years == [1975]


@pytest.mark.parametrize("text,year", [
    ("il est parti à vingt-trois ans", None),  # his age, not the narrator's
    ("mon fils il a été licencié à quarante-huit ans", None),
    ("je suis parti à vingt-trois ans", 1973),
    ("quand il est né j'avais vingt ans", 1970),  # "j'avais" is the narrator, whoever came before
    ("à vingt ans je suis parti", 1970),
])
def test_an_age_dates_only_the_narrators_life(text, year):
    [(_, _, kind, _, got)] = [f for f in find_expressions(text, birth_year=1950, orientation="past") if f[2] == "age"]
    assert kind == "age" and got == year


def test_birth_year_belongs_to_the_narrator_it_names(nlp, shared_dir):
    """CFPP2000 « Mathilde Lelong … Marie-Louise Orsin »: two narrators, the other one talks most.
    Mathilde's birth year must not date Orsin's « à dix-huit ans »."""
    from narratif.ingest.attributes import life_years
    from narratif.timeline.dating import birth_years_by_speaker

    path = shared_dir / "corpora/cfpp2000/Mathilde_Lelong_F_85_Marie_Louise_Orsin_F_64_11e-v2.txt"
    named = ingest_file(path, {"prenom": "Mathilde", "nom": "Lelong", "birth_year": "1920"})
    parsed = parse_document(nlp, named)
    assert birth_years_by_speaker(named, parsed, 1920) == {"Mathilde Lelong": 1920}
    unnamed = ingest_file(path, {"birth_year": "1920"})
    assert birth_years_by_speaker(unnamed, parsed, 1920) == {}  # no name, no dominant voice: nobody
    tl = extract_timeline(named, parsed)
    speaker = {s.sent_id: p.segment.speaker for p in parsed for s in p.sentences}
    ages = [t for t in tl if t.kind == "age" and t.year is not None]
    assert ages and {speaker[t.sent_id] for t in ages} == {"Mathilde Lelong"}
    # one narrator (a few words of another voice aside) keeps the year
    morange = ingest_file(shared_dir / "corpora/cfpp2000/Andre_Morange_H_58_Mo-v2.txt", {"birth_year": "1946"})
    assert birth_years_by_speaker(morange, parse_document(nlp, morange), 1946) == {"André Morange": 1946}
    # one birth year per person: each narrator's ages with their own
    rosier = ingest_file(shared_dir / "corpora/cfpp2000/Bernard_Rosier_H_60_Micheline_Rosier_58_12e-v2.txt",
                         {"birth_year": "BERNARD ROSIER: 1947; MICHELINE ROSIER: 1954"})
    assert birth_years_by_speaker(rosier, parse_document(nlp, rosier), 1947) == {
        "Bernard Rosier": 1947, "Micheline Rosier": 1954}
    assert life_years({"Année de naissance": "1931"}).birth == 1931
    assert life_years({"age": "58 ans", "date": "12/03/2007"}) == (1949, 2007)


def _dated_turning_points(nlp, tmp_path, lines: list[str]):
    """Turning points of a small story (one ``Speaker : text`` line each), anchored on its timeline."""
    from narratif.turning_points.detect import detect_turning_points

    path = tmp_path / "recit.txt"
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    doc = ingest_file(path)
    parsed = parse_document(nlp, doc)
    return anchor_turning_points(detect_turning_points(doc, parsed), extract_timeline(doc, parsed), parsed)


def test_turning_point_takes_the_date_said_with_its_event(nlp, tmp_path):
    tps = _dated_turning_points(nlp, tmp_path, [
        "Marc : on habitait Belleville depuis mille neuf cent soixante et onze.",
        "Marc : et puis un jour on a tout vendu.",
        "Marc : je suis arrivé à Nogent en deux mille six, mes parents étaient là depuis "
        "mille neuf cent soixante et onze.",
        "Marc : il faisait beau."])
    arrival = next(t for t in tps if "Nogent" in t.text)
    assert arrival.year == 2006 and "deux mille six" in arrival.time_anchor


def test_a_range_dates_the_event_said_with_its_end(nlp, tmp_path):
    """« de soixante-douze à soixante-seize date à laquelle je me suis mariée »: the place name
    said with the range (« à Paris ») is not the event, the marriage and the move are."""
    tps = _dated_turning_points(nlp, tmp_path, [
        "Micheline : c'était calme.",
        "Micheline : moi j'ai habité dans le dix-septième arrondissement à Paris euh de soixante-douze à "
        "soixante-seize date à laquelle je me suis mariée et je suis venue rejoindre Bernard dans le douzième",
        "Micheline : il faisait beau."])
    assert next(t for t in tps if "mariée" in t.text).year == 1976


@pytest.mark.parametrize("text,orient,expected", [
    ("je suis arrivé ici il y a trente ans", "past", [("relative", "now-30y")]),
    ("y a une quinzaine d'années on a ouvert le café", "past", [("relative", "now-15y")]),
    ("l'an dernier on est partis en Bretagne", "past", [("relative", "now-1y")]),
    ("cette année j'ai un prof qui me passionne", "present", [("relative", "now+0y")]),
    ("cette année-là il a beaucoup plu", "past", [("relative", "+0y")]),  # the story's year, not the interview's
    ("dans dix ans je serai à la retraite", "future", [("relative", "now+10y")]),
    ("juste après mon bac je suis partie à Lyon", "past", [("relative", "after")]),
    ("avant de me marier j'habitais rue de la Roquette", "past", [("relative", "before")]),
    ("quand j'étais toute petite on allait au square", "past", [("period", "quand j'étais toute petite")]),
    ("depuis que je suis petite je connais le quartier", "present", [("period", "depuis que je suis petite")]),
    ("pendant toute mon enfance on a vécu là", "past", [("period", "toute mon enfance")]),
    ("en CE2 j'ai changé d'école", "past", [("period", "en ce2")]),
    ("quand on s'est mariés on est venus ici", "past", [("period", "quand on s'est mariés")]),
    ("à l'époque c'était un quartier ouvrier", "past", [("period", "à l'époque")]),
    ("au mois d'août on est partis", "past", [("date", "août")]),
    ("en été c'est pollué", "present", []),  # a habit, not a date
    ("tous les mois de septembre on repart", "past", []),
    ("ça fait vingt ans que j'habite ici", "present", [("duration", "for:20y")]),
])
def test_deictic_relatives_periods_of_life_and_months(text, orient, expected):
    assert [(k, v) for _, _, k, v, _ in find_expressions(text, orientation=orient)] == expected


@pytest.mark.parametrize("text,orient,expected", [
    # from a review of narratif's timeline on 5 CFPP2000 interviews (320 rows, 39 wrong)
    ("ma mère y est restée jusqu'en mille neuf cent soixante soixante et onze", "past", [("year", "1971")]),
    ("dans les années soixante soixante-dix c'était différent", "past", [("decade", "196X")]),
    ("dès le lendemain de la Communion j'ai dit bon je vais plus à la messe", "past", [("relative", "event+1d")]),
    ("quelques années après il est mort", "past", [("relative", "later")]),
    ("trois mois après on a déménagé", "past", [("relative", "+3m")]),
    ("entre soixante-deux et soixante-quatre on était à Alger", "past", [("year", "1962"), ("year", "1964")]),
    ("à ce moment là on est partis", "past", [("relative", "+0y")]),
    ("je l'ai quitté il y a euh douze ou treize ans", "past", [("relative", "now-12y")]),
    ("ils arrivent en CP ne parlant pas français", "present", []),  # a class as a place, in general
    ("toute l'école va aller en sixième", "future", []),
    ("je me suis plantée je suis passée en cinquième", "past", [("period", "en cinquième")]),
    ("quand ils étaient en prépa c'était dur", "past", [("period", "quand ils étaient en prépa")]),
    ("il est parti pendant la guerre d'Algérie", "past", [("period", "pendant la guerre d'algérie")]),
    ("quand j'ai eu mon premier enfant on a déménagé", "past", [("period", "quand j'ai eu mon premier enfant")]),
    ("ceux qui savaient ce qu'ils voulaient en arrivant", "past", []),
    # from the re-check of the rows these fixes added
    ("si vous avez six enfants à ce moment là vous avez besoin d'une voiture", "present", []),  # « in that case »
    ("quand on a eu moins de chance au départ on reste", "present", []),
    ("quand je suis partie de chez mes parents", "past", [("period", "quand je suis partie de chez mes parents")]),
])
def test_review_of_real_interview_timelines(text, orient, expected):
    assert [(k, v) for _, _, k, v, _ in find_expressions(text, orientation=orient)] == expected


def test_a_dated_war_anchors_what_follows(nlp, tmp_path):
    tl = _timeline_of(nlp, tmp_path, "Yvette : ma mère est née en mille neuf cent trois.\n"
                                     "Yvette : et puis pendant la guerre de quatorze elle s'est mariée et à ce "
                                     "moment-là mon père était au front.\n")
    assert [t.year for t in tl if t.kind == "relative"] == [1914]


def test_we_is_the_narrator_for_an_age():
    """« on avait quatorze quinze ans » (the narrator and her sister): her age, so her year."""
    [(_, _, kind, _, year)] = find_expressions("ma soeur et moi on avait quatorze quinze ans", birth_year=1955,
                                               orientation="past")
    assert (kind, year) == ("age", 1969)


def _timeline_of(nlp, tmp_path, text: str, attributes: dict | None = None):
    """The timeline of a small text written to a file and read as a run reads it."""
    path = tmp_path / "recit.txt"
    path.write_text(text, encoding="utf-8")
    doc = ingest_file(path, attributes)
    return extract_timeline(doc, parse_document(nlp, doc))


def test_years_counted_back_from_the_interview(nlp, tmp_path):
    """« il y a trente ans » is the interview year − 30: the year given, or birth year + age
    at the interview (CFPP2000's register gives both)."""
    text = ("Ana : je suis arrivée dans le quartier il y a trente ans.\n"
            "Ana : l'an dernier ma fille est partie.\n"
            "Ana : cette année-là il a beaucoup plu.\n")
    for attributes, ref in (({"birth_year": 1950, "age": 58}, 2008), ({"interview_year": 2010, "age": 58}, 2010),
                            ({"annee de naissance": "1950"}, None)):
        tl = _timeline_of(nlp, tmp_path, text, attributes)
        years = [t.year for t in tl if t.kind == "relative"]
        assert years == ([ref - 30, ref - 1, ref - 1] if ref else [None, None, None]), (attributes, years)


def test_years_after_a_named_event_are_not_counted_from_the_last_date(nlp, tmp_path):
    """Seen in the sample monograph: « Sept ans après la création de la SCIC » came out as
    2033, counted from a target year (« d'ici 2026 ») said just before."""
    text = ("La SCIC est créée en 2019.\n\nLes acteurs se sont fixé l'objectif de l'autofinancement en 2026.\n\n"
            "Sept ans après la création de la SCIC, la dynamique a produit des résultats.\n\n"
            "Deux ans après, la commune a rejoint le projet.\n\n"
            "Le territoire a connu depuis les années quatre-vingt-dix un double mouvement.\n")
    tl = {t.expression: t for t in _timeline_of(nlp, tmp_path, text)}
    assert tl["Sept ans après"].value == "event+7y" and tl["Sept ans après"].year is None
    assert tl["Deux ans après"].year == 2028  # counted from the last date said, as before
    assert tl["depuis les années quatre-vingt-dix"].year == 1990  # « un » is the article of what follows


def test_relative_years_are_not_counted_from_a_decade(nlp, tmp_path):
    tl = _timeline_of(nlp, tmp_path, "Ana : mes parents sont arrivés dans les années soixante-dix.\n"
                                     "Ana : six ans après ils ont ouvert le café.\n"
                                     "Ana : je suis née en mille neuf cent quatre-vingt-cinq.\n"
                                     "Ana : deux ans après on a déménagé.\n")
    rel = [t for t in tl if t.kind == "relative"]
    assert [t.year for t in rel] == [None, 1987]


def test_a_decade_said_before_does_not_date_a_turning_point(nlp, tmp_path):
    tps = _dated_turning_points(nlp, tmp_path, [
        "Ana : mes parents vivaient à Lyon dans les années soixante-dix.",
        "Ana : c'était calme.",
        "Ana : et un jour j'ai décidé de partir à Paris.",
        "Ana : il faisait beau."])
    assert next(t for t in tps if "Paris" in t.text).year is None


@pytest.mark.parametrize("said,year", [("dans les années soixante-dix", 1975),
                                       ("à la fin des années soixante-dix", 1978),
                                       ("au début des années quatre-vingt", 1982),
                                       ("en soixante-dix-sept", 1977)])
def test_a_decade_places_its_turning_point_inside_it(nlp, tmp_path, said, year):
    tps = _dated_turning_points(nlp, tmp_path, [
        "Ana : c'était calme.", f"Ana : et {said} j'ai décidé de partir à Paris.", "Ana : il faisait beau."])
    assert next(t for t in tps if "Paris" in t.text).year == year


def test_a_year_in_an_aside_does_not_date_what_follows(nlp, tmp_path):
    """« le comte, qui fut chevalier de l'ordre en 1688, … » is a biography inside the story (the
    Saint-Simon memoirs of ../shared had the next death, « le 23 octobre », dated 1688); a year
    said in a relative clause on a time (« l'année où », « l'hiver que ») still moves the story."""
    aside = _timeline_of(nlp, tmp_path, "Le comte mourut dans ses terres. C'était un homme discret, qui fut "
                                        "chevalier de l'ordre en 1688, parmi les gentilshommes.\n"
                                        "Deux ans après, la duchesse mourut à Passy.\n")
    assert [t.year for t in aside if t.kind == "relative"] == [None]
    told = _timeline_of(nlp, tmp_path, "Ana : c'était l'hiver que j'ai passé à Lyon en mille neuf cent "
                                       "soixante-cinq.\nAna : deux ans après on a déménagé.\n")
    assert [t.year for t in told if t.kind == "relative"] == [1967]
    own = _timeline_of(nlp, tmp_path, "Ana : l'appartement qu'on a eu en mille neuf cent soixante-deux était "
                                      "petit.\nAna : deux ans après on est partis.\n")
    assert [t.year for t in own if t.kind == "relative"] == [1964]  # the narrator's own doing


def test_a_turning_point_is_not_dated_by_an_earlier_aside(nlp, tmp_path):
    path = tmp_path / "chronique.txt"
    path.write_text("Le fils aîné du comte mourut en Flandre. Son père, qui fut chevalier de l'ordre en 1688, "
                    "ne prétendit jamais aucun rang.\nLa duchesse d'Aumont mourut à Passy, le 23 octobre.\n",
                    encoding="utf-8")
    doc = ingest_file(path)
    parsed = parse_document(nlp, doc)
    sent = next(s for p in parsed for s in p.sentences if "duchesse" in s.text)
    tp = TurningPoint(doc_id=doc.doc_id, seg_id=0, sent_id=sent.sent_id, start=sent.start, end=sent.end,
                      text=sent.text, type="rupture", polarity="obstacle", score=2.0, evidence="rupture: mourir")
    [anchored] = anchor_turning_points([tp], extract_timeline(doc, parsed), parsed)
    assert anchored.year is None


def test_a_life_event_clause_takes_the_year_the_narrator_gives_the_event(nlp, tmp_path):
    """« quand je me suis mariée » gets the year of « je me suis mariée en quarante-six » (said
    before or after); a state (« on était mariés en soixante-huit ») is not the event; a life
    holds several arrivals, so an arrival is dated only by one at the same place."""
    def clauses(text):
        return [(t.expression, t.year) for t in _timeline_of(nlp, tmp_path, text)
                if t.kind == "period" and t.expression.startswith("quand")]

    assert clauses("Ana : quand je me suis mariée on habitait rue Arago.\n"
                   "Ana : je me suis mariée en quarante-six puis on a cherché ailleurs.\n") == [
        ("quand je me suis mariée", 1946)]
    assert clauses("Ana : on était mariés en soixante-huit.\n"
                   "Ana : quand je me suis mariée on habitait rue Arago.\n") == [("quand je me suis mariée", None)]
    assert clauses("Ana : je suis arrivée à Paris en cinquante-deux.\n"
                   "Ana : quand je suis arrivée à Paris je ne connaissais personne.\n") == [
        ("quand je suis arrivée", 1952)]
    assert clauses("Ana : je suis arrivée à Champigny en quarante-deux.\n"
                   "Ana : quand je suis arrivée à Paris je ne connaissais personne.\n") == [
        ("quand je suis arrivée", None)]
    # another voice's marriage is not the narrator's
    assert clauses("Ana : mon frère s'est marié en soixante.\n"
                   "Ana : quand je me suis mariée on habitait rue Arago.\n") == [("quand je me suis mariée", None)]
