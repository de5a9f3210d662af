"""Case-attribute sidecars (CSV / YAML): matching, normalisation and clear errors."""

from __future__ import annotations

import codecs
import csv
import re
from pathlib import Path

import pytest

from narratif.ingest.attributes import (
    AttributeFileError,
    derive_birth_year,
    load_attributes,
    normalise_name,
    speaker_roles,
)
from narratif.ingest import ingest_file
from narratif.ingest.transcript import assign_roles, detect_turns


def test_csv_semicolon_cp1252_and_matching(tmp_path):
    (tmp_path / "meta.csv").write_bytes(
        "Fichier;Collectif;Âge;Genre;Date d'entretien;Kind\n"
        "entretien_marie.txt;Tiers-lieu de Crest;54;F;2019-03-12;Interview\n"
        "corpus/monographies/Projet_Lyon.PDF;PTCE Lyon;;;;monograph\n"
        "recit_ali;;31;H;12/05/2021;story\n".encode("cp1252"))
    table = load_attributes(tmp_path / "meta.csv")
    assert len(table) == 3
    assert table.columns == ["collectif", "âge", "genre", "date_d'entretien", "kind"]
    marie = table.for_file(Path("/data/in/Entretien_Marie.TXT"))
    assert marie == {"collectif": "Tiers-lieu de Crest", "âge": "54", "genre": "F", "date_d'entretien": "2019-03-12",
                     "kind": "interview"}
    # relative path, case-insensitive; empty cells become None
    lyon = table.for_file("/home/x/corpus/monographies/projet_lyon.pdf")
    assert lyon["collectif"] == "PTCE Lyon" and lyon["âge"] is None
    # a key given without suffix matches the stem of any file
    assert table.for_file("stories/recit_ali.docx")["genre"] == "H"
    assert table.for_file("autre.txt") == {}


def test_relative_path_beats_name(tmp_path):
    (tmp_path / "m.csv").write_text("path,site\na/x.txt,A\nb/x.txt,B\n", encoding="utf-8")
    table = load_attributes(tmp_path / "m.csv")
    assert table.for_file("/r/a/x.txt")["site"] == "A"
    assert table.for_file("/r/b/x.txt")["site"] == "B"
    assert table.for_file("/r/c/x.txt") == {}  # two rows named x.txt: ambiguous, not guessed


def test_tab_delimited_with_quotes_and_bom(tmp_path):
    data = 'document\tterritoire\tnote\n"a.txt"\t"Drôme, Crest"\t"dit ""oui"""\n'
    (tmp_path / "m.tsv").write_bytes(codecs.BOM_UTF8 + data.encode("utf-8"))
    table = load_attributes(tmp_path / "m.tsv")
    assert table.for_file("a.txt") == {"territoire": "Drôme, Crest", "note": 'dit "oui"'}


def test_yaml_list_and_mapping_forms(tmp_path):
    (tmp_path / "l.yaml").write_text(
        "- document: a.txt\n  Collectif: PTCE\n  age: 40\n  date: 2020-01-05\n  membre: yes\n"
        "- doc: b.odt\n  kind: Story\n  mots clés: [alimentation, mobilité]\n", encoding="utf-8")
    table = load_attributes(tmp_path / "l.yaml")
    a = table.for_file("a.txt")
    assert a == {"collectif": "PTCE", "age": "40", "date": "2020-01-05", "membre": "true", "birth_year": "1980"}
    assert table.for_file("b.odt") == {"kind": "story", "mots_clés": "alimentation; mobilité"}
    (tmp_path / "m.yml").write_text("a.txt:\n  territoire: Crest\nb.txt:\n", encoding="utf-8")
    table = load_attributes(tmp_path / "m.yml")
    assert table.for_file("a.txt") == {"territoire": "Crest"} and table.for_file("b.txt") == {}


@pytest.mark.parametrize("name, content, message", [
    ("m.csv", "nom,age\na.txt,3\n", r"m\.csv: line 1: no document column"),
    ("m.csv", "document,age\na.txt,3\nb.txt,4\nA.TXT,5\n", r"line 4: document 'A.TXT' is already described on line 2"),
    ("m.csv", "document,age\na.txt,3\n,4\n", r"line 3: the 'document' column is empty"),
    ("m.csv", "document,kind\na.txt,roman\n", r"line 2: kind 'roman' is not one of"),
    ("m.csv", "document,age\na.txt,3,trop\n", r"line 2: 3 values for 2 columns"),
    ("m.yaml", "- document: a.txt\n  age: [1, 2\n", r"m\.yaml: line \d+: malformed YAML"),
    ("m.yaml", "- document: a.txt\n- age: 3\n", r"line 2: entry without a document key"),
    ("m.yaml", "- document: a.txt\n  lieu: {ville: Crest}\n", r"line 1: an attribute value cannot be a mapping"),
    ("m.yaml", "!!python/object/apply:os.system ['echo pwned']\n", r"malformed YAML"),
    ("m.yaml", "", r"empty"),
    ("m.xlsx", "document\n", r"unsupported attribute file type"),
])
def test_errors_name_file_and_line(tmp_path, name, content, message):
    (tmp_path / name).write_text(content, encoding="utf-8")
    with pytest.raises(AttributeFileError, match=message):
        load_attributes(tmp_path / name)
    assert issubclass(AttributeFileError, ValueError)


def test_validate_and_unmatched(tmp_path):
    (tmp_path / "m.csv").write_text("file,site\na.txt,A\nb.txt,B\ntypo.txt,C\n", encoding="utf-8")
    table = load_attributes(tmp_path / "m.csv")
    files = [tmp_path / "a.txt", tmp_path / "b.txt", tmp_path / "c.txt"]
    assert [r.document for r in table.unmatched(files)] == ["typo.txt"]
    assert table.without_attributes(files) == [tmp_path / "c.txt"]
    with pytest.raises(AttributeFileError, match=r"line 4: 'typo.txt'"):
        table.validate(files)
    table.validate(files + [tmp_path / "typo.txt"])


def test_helpers():
    assert normalise_name("  Année de  naissance ") == "année_de_naissance"
    assert derive_birth_year({"age": "58 ans", "date": "12/03/2007"})["birth_year"] == "1949"
    assert "birth_year" not in derive_birth_year({"age": "58"})
    assert derive_birth_year({"age": "58", "year": "2007", "birth_year": "1950"})["birth_year"] == "1950"
    assert speaker_roles({"interviewer": "Florence Lefeuvre; Mat Pires", "narrator": None}) == {
        "Florence Lefeuvre": "interviewer", "Mat Pires": "interviewer"}


def test_sidecar_for_real_cfpp_transcripts(tmp_path, shared_dir):
    """A generic sidecar written from CFPP2000's metadata describes the real transcripts."""
    cfpp = shared_dir / "corpora" / "cfpp2000"
    transcripts = sorted(cfpp.glob("*.txt"))
    with open(cfpp / "metadata.csv", encoding="utf-8") as fh:
        people = list(csv.DictReader(fh))
    rows = []
    for f in transcripts:
        for person in people:
            if person["NOM"] and person["NOM"].lower().replace("é", "e") in f.stem.lower():
                rows.append((f.stem, person["GENRE"], person["AGE"], person["ARR./VILLE"]))
                break
    assert len(rows) >= 30
    rows = [r for r in rows if not r[0].startswith("Dominique_Valin")]
    rows.append(("Dominique_Valin_F_37_SU-v2", "F", "37", "Suresnes"))
    with open(tmp_path / "cas.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, delimiter=";")
        w.writerow(["Document", "Genre", "Age", "Territoire", "Interviewer", "Date"])
        for stem, genre, age, terr in rows:
            w.writerow([stem, genre, age, terr,
                        "Florence Lefeuvre" if stem.startswith("Dominique_Valin") else "", "2007"])
    table = load_attributes(tmp_path / "cas.csv")
    table.validate(transcripts)
    assert len(table.without_attributes(transcripts)) == len(transcripts) - len(rows)
    valin = cfpp / "Dominique_Valin_F_37_SU-v2.txt"
    attrs = table.for_file(valin)
    assert attrs["territoire"] == "Suresnes" and attrs["birth_year"] == "1970"
    turns = assign_roles(detect_turns(valin.read_text(encoding="utf-8")), speaker_roles(attrs))
    assert sum(t.role == "interviewer" for t in turns) == 381
    doc = ingest_file(valin, table.for_file(valin))
    assert doc.ok and doc.attributes["genre"] == "F"
    for stem, genre, age, _ in rows:
        got = table.for_file(cfpp / f"{stem}.txt")
        assert (got["genre"], got["age"]) == (genre or None, age or None)
        assert re.fullmatch(r"\d{4}", got["birth_year"] or "0000") or not age


def test_a_register_of_persons_describes_the_files_that_name_them(shared_dir, tmp_path):
    """CFPP2000's metadata.csv has one row per person (PRÉNOM, NOM, ANNÉE DE NAISSANCE …), no
    document column: files get the attributes of the persons their names hold, and a file with
    two persons a per-person birth year."""
    from narratif.ingest.attributes import PersonAttributeTable

    cfpp = shared_dir / "corpora" / "cfpp2000"
    table = load_attributes(cfpp / "metadata.csv")
    assert isinstance(table, PersonAttributeTable)
    transcripts = sorted(cfpp.glob("*.txt"))
    table.validate(transcripts)  # persons not interviewed here are not an error
    assert len(transcripts) - len(table.without_attributes(transcripts)) == 52
    one = table.for_file(cfpp / "Andre_Morange_H_58_Mo-v2.txt")
    assert one["birth_year"] == "1951" and one["genre"] == "M"
    two = table.for_file(cfpp / "Bernard_Rosier_H_60_Micheline_Rosier_58_12e-v2.txt")
    assert two["birth_year"] == "BERNARD ROSIER: 1947; MICHELINE ROSIER: 1954"  # not Patrick Bernard's
    assert two["prénom"] == "BERNARD" and two["personnes"] == "BERNARD ROSIER; MICHELINE ROSIER"
    # a small register written by hand, with a namesake
    reg = tmp_path / "personnes.csv"
    reg.write_text("Prénom;Nom;Année de naissance;Quartier\nAna;Lopez;1950;Belleville\n"
                   "Luis;Lopez;1948;Belleville\nMarc;Durand;1971;\n", encoding="utf-8")
    people = load_attributes(reg)
    assert people.for_file("entretien_Luis_Lopez.txt")["birth_year"] == "1948"
    assert people.for_file("Ana_Lopez_et_Marc_Durand.txt")["birth_year"] == "Ana Lopez: 1950; Marc Durand: 1971"
    assert people.for_file("Lopez_famille.txt") == {}  # a surname alone names nobody
    bad = tmp_path / "bad.csv"
    bad.write_text("Prénom;Âge\nAna;50\n", encoding="utf-8")
    with pytest.raises(AttributeFileError, match="prenom and nom"):
        load_attributes(bad)


@pytest.mark.parametrize("name,persons", [
    ("Marc-Jakobson_H_83_16e-v2.txt", ["MARK JACOBSON"]),  # spelt a letter apart, age 83 as registered
    ("Ian_Krachski_H_80_Monica_Richarska_F_75-13e.txt", ["JAN KRACHSKI", "MONICA RICHARSKA"]),
    ("Louise_Liotard_F_85_et_Jeanne_Mallet_F_75_SO-1-v2.txt", ["LOUISE LIOTARD", "JEANE MALLET"]),
    ("Mathilde_Lelong_F_85_Marie_Louise_Orsin_F_64_11e-v2.txt", ["MATHILDE LELONG", "DOMINIQUE ORSING"]),
    ("Mathis_H_19_Delphine_F_16_Alienor_F_15_Ch.txt", ["MATHIS LEMONNIER", "DELPHINE LEMONNIER"]),
    ("Didier_Pujade_H_36_13e-v2.txt", []),  # GABRIEL PUJADE is 40: another person
    ("Gabriel-Pujade_H_40_13e-v2.txt", ["GABRIEL PUJADE"]),
])
def test_names_the_register_spells_otherwise_are_confirmed_by_age(shared_dir, name, persons):
    """CFPP2000's file names and register disagree on a few spellings (the transcript of
    « Marie_Louise_Orsin_F_64 » has her speak as « Dominique Orsin »): a name a letter or two
    apart, or a first name alone, counts when the file name gives the register's age with it."""
    table = load_attributes(shared_dir / "corpora" / "cfpp2000" / "metadata.csv")
    assert [r.document for r in table.persons_in(name)] == persons


def test_a_loose_name_needs_its_age(tmp_path):
    reg = tmp_path / "personnes.csv"
    reg.write_text("Prénom;Nom;Âge\nMark;Jacobson;83\nAna;Lopez;50\n", encoding="utf-8")
    people = load_attributes(reg)
    assert [r.document for r in people.persons_in("Marc_Jakobson_H_83.txt")] == ["Mark Jacobson"]
    assert people.persons_in("Marc_Jakobson_H_60.txt") == []  # another age: another person
    assert people.persons_in("Marc_Jakobson.txt") == []  # no age to confirm the spelling
    assert [r.document for r in people.persons_in("Ana_F_50_et_Paul.txt")] == ["Ana Lopez"]
    assert people.persons_in("Ana_Martin_F_50.txt") == []  # a first name with another surname
