"""Speaker-turn detection on small strings and on the real CFPP2000 / ParisStories transcripts."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from narratif.ingest import ingest_file
from narratif.ingest.text import read_text
from narratif.ingest.transcript import assign_roles, detect_turns, normalise_timestamp


def _texts(text, turns):
    return [text[t.start : t.end] for t in turns]


# --------------------------------------------------------------------------- small strings


def test_name_colon_with_timestamps_and_enq_tag():
    text = ("[00:00:00] Sonia Branca-Rosoff (ENQ): vous êtes arrivée quand ?\n"
            "[00:00:19] Mira: en cinquante-deux par le train\n"
            "[00:01:15] Sonia Branca-Rosoff (ENQ): ah bon\n")
    turns = detect_turns(text)
    assert [t.speaker for t in turns] == ["Sonia Branca-Rosoff", "Mira", "Sonia Branca-Rosoff"]
    assert [t.role for t in turns] == ["interviewer", "narrator", "interviewer"]
    assert [t.timestamp for t in turns] == ["00:00:00", "00:00:19", "00:01:15"]
    assert _texts(text, turns) == ["vous êtes arrivée quand ?", "en cinquante-deux par le train", "ah bon"]


@pytest.mark.parametrize("label, speaker, role", [
    ("Sonia Branca-Rosoff (Enq.)", "Sonia Branca-Rosoff", "interviewer"),
    ("Sonia Branca enq", "Sonia Branca", "interviewer"),
    ("Enquêteur", "Enquêteur", "interviewer"), ("ENQUÊTRICE", "ENQUÊTRICE", "interviewer"),
    ("Marie (ENQ)", "Marie", "interviewer"), ("Q", "Q", "interviewer"), ("R", "R", "narrator"),
    ("Enq1", "Enq1", "interviewer"), ("SPEAKER", "SPEAKER", "narrator"), ("speaker#2", "speaker#2", "narrator"),
    ("Mme Martin", "Mme Martin", "narrator"), ("L1", "L1", "narrator"), ("E1", "E1", "narrator"),
])
def test_label_forms_and_roles(label, speaker, role):
    text = f"{label} : première réponse assez longue\nAutre : oui\n{label} : deuxième\nAutre : bien\n"
    turns = detect_turns(text)
    assert turns is not None and len(turns) == 4
    assert (turns[0].speaker, turns[0].role) == (speaker, role)
    assert turns[1].role == "narrator"
    assert _texts(text, turns) == ["première réponse assez longue", "oui", "deuxième", "bien"]


def test_q_r_and_continuation_lines():
    text = "Q : où êtes-vous née ?\nR : à Lyon,\nen 1950.\n\nQ : et ensuite ?\nR : Paris.\n"
    turns = detect_turns(text)
    assert [t.role for t in turns] == ["interviewer", "narrator", "interviewer", "narrator"]
    assert _texts(text, turns)[1] == "à Lyon,\nen 1950."


def test_label_alone_on_its_line():
    text = "ENQUÊTEUR :\ncomment ça a commencé ?\nMARIE :\nj'avais vingt ans.\nENQUÊTEUR :\net après ?\n"
    turns = detect_turns(text)
    assert _texts(text, turns) == ["comment ça a commencé ?", "j'avais vingt ans.", "et après ?"]
    assert turns[0].role == "interviewer" and turns[1].role == "narrator"


def test_unlabelled_opening_is_kept_and_short_header_dropped():
    story = "\n".join(["alors en deux mille seize j'ai eu mon bac."] * 3 +
                      ["L1 : ah oui.", "L2 : donc je suis arrivé à Paris.", "L2 : et voilà.", "L1 : d'accord.",
                       "L2 : fin."])
    turns = detect_turns(story)
    assert turns[0].speaker is None and turns[0].role == "narrator"
    assert story[turns[0].start : turns[0].end].count("\n") == 2
    titled = "Entretien n°3\n" + "\n".join(["Q : et alors ?", "R : oui.", "Q : quand ?", "R : en 1962."])
    turns = detect_turns(titled)
    assert turns[0].speaker == "Q" and len(turns) == 4


def test_one_off_clause_is_not_a_speaker():
    text = "L1 : il est venu.\nL2 : ah bon ?\nL1 : oui et\non s'est dit : pourquoi pas.\nL2 : d'accord.\n"
    turns = detect_turns(text)
    assert [t.speaker for t in turns] == ["L1", "L2", "L1", "L2"]
    assert "on s'est dit : pourquoi pas." in text[turns[2].start : turns[2].end]


def test_numeric_speaker_codes():
    text = "0 : on attendait le cours.\n0 : et là elle vient.\nL1 : ah oui.\n0 : voilà.\n"
    turns = detect_turns(text)
    assert [t.speaker for t in turns] == ["0", "0", "L1", "0"]


@pytest.mark.parametrize("text", [
    "Objectif : créer des emplois.\nPublic : jeunes.\nDurée : deux ans.\nBudget : 10 000 euros.\n",
    "1 : premier point.\n2 : second point.\n3 : troisième point.\n",
    "Le projet est né en 2015.\nNote : les chiffres sont provisoires.\nIl a grandi depuis.\n"
    "Les habitants s'y sont investis.\n",
    "Voir http://exemple.org pour plus.\nhttp://exemple.org/a\nhttps://exemple.org/b\n",
])
def test_prose_with_colons_is_not_a_transcript(text):
    assert detect_turns(text) is None


def test_known_interviewers_and_role_override():
    text = "Florence Lefeuvre: alors comment\nDominique Valin: très simple\nFlorence Lefeuvre: d'accord\n"
    assert {t.role for t in detect_turns(text)} == {"narrator"}
    turns = detect_turns(text, interviewers=["florence lefeuvre"])
    assert [t.role for t in turns] == ["interviewer", "narrator", "interviewer"]
    turns = assign_roles(detect_turns(text), {"Florence LEFEUVRE": "interviewer"})
    assert turns[0].role == "interviewer" and turns[1].role == "narrator"


def test_normalise_timestamp():
    assert normalise_timestamp("0:01:02.5") == "00:01:02"
    assert normalise_timestamp("12:34") == "00:12:34"
    assert normalise_timestamp(None) is None


# --------------------------------------------------------------------------- real material

_CFPP_LINE = re.compile(r"^\[(\d\d:\d\d:\d\d)\] (.+?): ?(.*)$")


@pytest.fixture(scope="module")
def cfpp(shared_dir) -> list[tuple[Path, str, list]]:
    files = sorted((shared_dir / "corpora" / "cfpp2000").glob("*.txt"))
    out = []
    for f in files:
        text = read_text(f).text
        out.append((f, text, detect_turns(text)))
    return out


def test_cfpp2000_every_transcript_has_turns(cfpp):
    assert len(cfpp) == 61
    assert all(turns for _, _, turns in cfpp), [f.name for f, _, t in cfpp if not t]
    total = sum(len(t) for _, _, t in cfpp)
    interviewer = sum(x.role == "interviewer" for _, _, t in cfpp for x in t)
    assert total > 60000 and 0.25 < interviewer / total < 0.5


def test_cfpp2000_turns_match_lines(cfpp):
    """Each non-empty line is one turn; speaker, timestamp and spoken text agree with the line."""
    for f, text, turns in cfpp:
        lines = [ln for ln in text.split("\n") if ln.strip()]
        assert len(turns) == len(lines), f.name
        for line, t in zip(lines, turns):
            m = _CFPP_LINE.match(line)
            assert m, line[:80]
            assert t.timestamp == m.group(1)
            assert text[t.start : t.end] == m.group(3).rstrip()
            assert m.group(2).startswith(t.speaker)


def test_cfpp2000_interviewers_are_marked(cfpp):
    unmarked = [f.name for f, _, turns in cfpp if not any(t.role == "interviewer" for t in turns)]
    # One interview names its interviewer without any marker; the sidecar / interviewers= handles it.
    assert unmarked == ["Dominique_Valin_F_37_SU-v2.txt"]
    marked = {t.speaker for _, _, turns in cfpp for t in turns if t.role == "interviewer"}
    assert "Sonia Branca-Rosoff" in marked and "Florence Lefeuvre" in marked
    f, text, _ = next(x for x in cfpp if x[0].name in unmarked)
    turns = detect_turns(text, interviewers=marked)
    assert Counter(t.role for t in turns)["interviewer"] == 381
    for _, _, turns in cfpp:  # every interview also has narrators
        assert any(t.role == "narrator" and t.speaker for t in turns)


def test_parisstories(shared_dir):
    files = sorted((shared_dir / "corpora" / "parisstories").glob("20*.txt"))
    assert len(files) == 36
    detected = {}
    for f in files:
        text = read_text(f).text
        turns = detect_turns(text)
        labelled = sum(1 for ln in text.split("\n") if re.match(r"^(L\d|\d|non_native) : ", ln))
        lines = sum(1 for ln in text.split("\n") if ln.strip())
        if labelled / lines >= 0.5:
            assert turns is not None, f.name
            detected[f.name] = turns
            # No sentence is lost: turns cover every non-empty line.
            covered = "".join(text[t.start : t.end] for t in turns)
            assert sum(len(ln.split(" : ", 1)[-1]) for ln in text.split("\n") if ln.strip()) <= len(covered)
        else:
            assert turns is None, f.name
    assert len(detected) == 17
    assert detected["2022_hamacTahiti.txt"][0].speaker == "L1"
    sans_abris = detected["2021_discussionSansAbris.txt"]
    assert sans_abris[0].speaker is None and sans_abris[0].role == "narrator"


def test_seed_report_with_colons_is_prose(shared_dir):
    for f in sorted((shared_dir / "seeds").glob("*.txt")):
        assert detect_turns(read_text(f).text) is None, f.name


def test_ingest_file_on_a_real_transcript(shared_dir):
    doc = ingest_file(shared_dir / "corpora" / "cfpp2000" / "Mira_F_88_14e-v2.txt")
    assert doc.ok and doc.kind == "interview" and doc.format == "text"
    assert Counter(s.role for s in doc.segments) == {"interviewer": 212, "narrator": 212}
    assert all(doc.text[s.start : s.end] == s.text for s in doc.segments)


def test_listener_of_an_unmarked_story_is_not_a_narrator(shared_dir):
    """A listener's short prompts ("et vous vous êtes rencontrées où ?") are marked like an interviewer's."""
    from narratif.ingest import ingest_file

    doc = ingest_file(shared_dir / "corpora" / "parisstories" / "2022_demiSoeurMartiniquaise.txt")
    roles = {s.speaker: s.role for s in doc.segments}
    assert roles["L1"] == "interviewer" and roles["L2"] == "narrator"
    # two real co-narrators both keep the narrator role
    doc = ingest_file(shared_dir / "corpora" / "parisstories" / "2022_hamacTahiti.txt")
    assert {s.role for s in doc.segments} == {"narrator"}


def test_annotation_tiers_exported_as_speakers_are_not_speech(shared_dir):
    """Transcriber tiers ("Turns: Ozgur Kiliç", "Comments: ...") stay in the text but are not segments."""
    from narratif.ingest import ingest_file

    doc = ingest_file(shared_dir / "corpora" / "cfpp2000" / "Ozgur_Kilic_H_32_alii_3e-1-v2.txt")
    speakers = {s.speaker for s in doc.segments}
    assert not speakers & {"Turns", "Comments", "Sections"}
    assert "Turns: Ozgur Kiliç" in doc.text
    assert any(s.role == "interviewer" for s in doc.segments) and any(s.role == "narrator" for s in doc.segments)
