"""Theme coding: scores, evidence, negation, interviewer turns, training and the estimator contract."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from narratif.codebook import load_codebook
from narratif.coding import CodeClassifier, CoderSettings, build_coder, code_text, read_codings_csv, train_classifier
from narratif.coding.lexicon import surface_variants
from narratif.ingest import ingest_file
from narratif.models import Coding
from narratif.nlp.parse import parse_document

pytestmark = pytest.mark.slow  # loads the French model or runs the pipeline (make test-fast skips it)


@parametrize_with_checks([CodeClassifier()])
def test_code_classifier_follows_the_sklearn_contract(estimator, check):
    check(estimator)


@pytest.fixture(scope="module")
def book():
    return load_codebook()


@pytest.fixture(scope="module")
def coder(nlp, book):
    return build_coder(book, nlp=nlp)


def _top_theme(coder, text: str) -> str:
    df = code_text(text, coder=coder)
    themes = df[df["code"].isin(coder.codebook.theme_ids)]
    return themes.groupby("code")["score"].sum().idxmax()


@pytest.mark.parametrize("text,theme", [
    ("Le modèle économique dépend des subventions ; il faudrait des apports en fonds propres et du mécénat.",
     "modeles_economiques"),
    ("Les élus de la communauté de communes et le maire ont porté la démarche auprès de la région.",
     "pouvoirs_publics"),
    ("Les bénévoles et les habitants du quartier ont participé au chantier participatif.", "habitants"),
    ("L'association s'est transformée en SCIC et le fondateur a préparé sa succession au conseil d'administration.",
     "gouvernance"),
    ("L'esprit d'entreprendre et le goût du risque des créateurs d'entreprise ont redonné de la fierté au bassin.",
     "culture_entrepreneuriale"),
    ("La confiance et l'interconnaissance entre partenaires ont permis de mutualiser des moyens et de coopérer.",
     "cooperation"),
])
def test_each_theme_is_recognised(coder, text, theme):
    assert _top_theme(coder, text) == theme


def test_rows_carry_score_method_and_evidence(coder):
    df = code_text("Le financement repose sur des subventions de la région et du mécénat.", coder=coder)
    row = df[df["code"] == "modeles_economiques"].iloc[0]
    assert 0 < row["score"] <= 1 and row["method"] == "combined"
    assert "subvention" in row["evidence"] and "mécénat" in row["evidence"]
    # sub-codes are coded too, and their hits count for the parent theme
    assert "modeles_economiques.subventions" in set(df["code"])


def test_negation_downweights_lexicon_evidence(nlp, book):
    coder = build_coder(book, nlp=nlp, settings=replace(CoderSettings(), methods=("lexicon",), threshold=0.0))
    j = coder.code_ids_.index("modeles_economiques")
    pos, neg = (list(nlp.pipe([t])) for t in ("Ils ont reçu une subvention.", "Ils n'ont reçu aucune subvention."))
    s_pos = coder.score_docs(pos)["lexicon"][0, j]
    s_neg = coder.score_docs(neg)["lexicon"][0, j]
    assert 0 < s_neg < s_pos / 2
    assert "(nié)" in coder.score_docs(neg)["_evidence"][0][j][0]


def test_exclusions_and_plural_surface_forms(nlp, book):
    coder = build_coder(book, nlp=nlp, settings=replace(CoderSettings(), methods=("lexicon",), threshold=0.0))
    j = coder.code_ids_.index("culture_entrepreneuriale")
    hits = coder.lexicon_.match(list(nlp.pipe(["Une forte culture d'entreprise."])))
    assert not any("entreprise" in w for w in hits.evidence[0].get(j, []))
    assert "élus" in surface_variants("élu")


def test_real_transcript_interviewer_turns_are_not_coded(coder, nlp, shared_dir):
    path = sorted((shared_dir / "corpora" / "cfpp2000").glob("*.txt"))[0]
    doc = ingest_file(path)
    parsed = parse_document(nlp, doc)[:150]
    codings = coder.code(parsed)
    roles = {p.segment.seg_id: p.segment.role for p in parsed}
    assert all(isinstance(c, Coding) and roles[c.seg_id] != "interviewer" for c in codings)
    assert all(c.doc_id == doc.doc_id and c.code in coder.codebook for c in codings)
    # everyday talk about Paris life: most narrator turns carry no study theme
    narr = [s for s, r in roles.items() if r != "interviewer"]
    themed = {c.seg_id for c in codings if c.code in coder.codebook.theme_ids}
    assert len(themed) < 0.5 * len(narr)


@pytest.mark.parametrize("start,theme", [
    ("La gouvernance est l'ensemble des règles", "gouvernance"),
    ("Le mécénat est défini par l'arrêté", "modeles_economiques"),
    ("Plus une dynamique est inclusive", "habitants"),
    ("On entend par culture entrepreneuriale", "culture_entrepreneuriale"),
])
def test_real_seed_paragraphs_get_their_theme(coder, shared_dir, start, theme):
    text = next(shared_dir.glob("seeds/002_*.txt")).read_text(encoding="utf-8").replace("\u2019", "'")
    para = next(line for line in text.splitlines() if line.startswith(start))
    assert _top_theme(coder, para) == theme


def test_signature_tracks_settings_and_codebook(nlp, book, coder, tmp_path):
    assert coder.signature() == build_coder(book, nlp=nlp).signature()
    assert coder.signature() != build_coder(book, nlp=nlp, settings=replace(CoderSettings(), threshold=0.5)).signature()
    other = book.as_dict()
    other["categories"]["themes"][0]["keywords"] = ["partenaire"]
    from narratif.codebook import parse_codebook

    assert build_coder(parse_codebook(other), nlp=nlp).signature() != coder.signature()


def test_train_classifier_saves_and_is_used(nlp, book, coder, tmp_path):
    csv = tmp_path / "codings.csv"
    csv.write_text(
        "text,code,accepted\n"
        "\"Le tracteur partagé de la CUMA sert à tous les adhérents.\",cooperation,1\n"
        "\"La CUMA a acheté une moissonneuse en commun.\",cooperation,true\n"
        "\"Le maire a signé la convention avec la préfecture.\",pouvoirs_publics,1\n"
        "\"La préfète a réuni les maires du canton.\",pouvoirs_publics,1\n"
        "\"La météo était belle ce jour-là.\",habitants,0\n", encoding="utf-8")
    out = train_classifier(csv, codebook=book, nlp=nlp, models_dir=tmp_path)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["codebook_fingerprint"] == book.fingerprint()
    assert manifest["backend"].startswith("spacy-vectors") and "themes" in manifest["categories"]
    team = build_coder(book, nlp=nlp, models_dir=tmp_path)
    assert team.classifier_source_.startswith("team:") and team.signature() != coder.signature()
    # a model trained for another codebook is ignored, with a warning
    manifest["codebook_fingerprint"] = "0" * 16
    (out / "manifest.json").write_text(json.dumps(manifest))
    with pytest.warns(UserWarning, match="another version of the codebook"):
        fallback = build_coder(book, nlp=nlp, models_dir=tmp_path)
    assert fallback.classifier_source_.startswith("codebook:")


def test_codings_csv_errors_are_clear(book, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("texte,code\nabc,cooperation\n", encoding="utf-8")
    with pytest.raises(ValueError, match="needs a text column"):
        read_codings_csv(bad, book)
    bad.write_text("text,code,accepted\nabc,cooperation,maybe\n", encoding="utf-8")
    with pytest.raises(ValueError, match="'accepted' must be"):
        read_codings_csv(bad, book)
    bad.write_text("text,code,accepted\nabc,topics,1\n", encoding="utf-8")
    with pytest.raises(ValueError, match="not in codebook"):
        read_codings_csv(bad, book)


def test_code_text_reads_a_file(coder, tmp_path):
    f = tmp_path / "note.txt"
    f.write_text("Les habitants et les bénévoles animent le jardin partagé.\n\nLa SCIC a modifié ses statuts.\n",
                 encoding="utf-8")
    df = code_text(f, coder=coder)
    assert list(df.columns[:3]) == ["seg_id", "code", "label"]
    assert {"habitants", "gouvernance"} <= set(df["code"])
    assert set(df[df["code"] == "gouvernance"]["seg_id"]) == {1}
