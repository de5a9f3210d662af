"""The study's own vocabulary weighs keywords by rarity; team classifiers follow the coder's inputs."""

from __future__ import annotations

import csv
import json
import warnings
from pathlib import Path

import numpy as np
import pytest

from narratif.codebook import load_codebook
from narratif.coding import CoderSettings, SegmentCoder, build_coder, train_classifier
from narratif.coding.lexicon import LexiconMatcher
from narratif.coding.vocabulary import (STUDY_FILE, Vocabulary, resolve_vocabulary, study_vocabulary,
                                        vocabulary_from_files)

pytestmark = pytest.mark.slow  # loads the French model or runs the pipeline (make test-fast skips it)

ROOT = Path(__file__).resolve().parents[2]
EXTERNAL = ROOT / "tests" / "data" / "external" / "themes"


@pytest.fixture(scope="module")
def book():
    return load_codebook()


def test_generic_study_words_weigh_less_than_specific_ones():
    vocab = study_vocabulary()
    assert vocab.n_docs > 300 and "study seeds" in vocab.source
    # « collectif » is in about one paragraph in five of the study, « mécénat » in a handful
    assert vocab.weight("collectif") < 0.5 < vocab.weight("mécénat") <= 1.0
    assert vocab.weight("un mot jamais vu") == max(vocab.weight("mot"), vocab.weight("jamais"), vocab.weight("vu"))
    assert vocab.weight("xyzzy") == 1.0


def test_keyword_hits_are_weighted_by_the_vocabulary(nlp, book, shared_dir):
    text = next(shared_dir.glob("seeds/002_*.txt")).read_text(encoding="utf-8")
    para = next(p for p in text.splitlines() if "collectif" in p and len(p) > 300)
    docs = list(nlp.pipe([para]))
    plain = LexiconMatcher(book, nlp).match(docs)
    weighted = LexiconMatcher(book, nlp, term_weight=study_vocabulary().weight).match(docs)
    j = [c.id for c in book.codes].index("cooperation")
    assert 0 < weighted.weights[0, j] < plain.weights[0, j]
    assert weighted.evidence == plain.evidence  # the same words are shown; they weigh less


def test_counting_skips_the_ranges_it_is_told_to(nlp, book, shared_dir):
    seed = next(shared_dir.glob("seeds/003_*.txt"))
    lexicon = LexiconMatcher(book, nlp)
    full = vocabulary_from_files([seed], nlp=nlp, lexicon=lexicon)
    text = seed.read_text(encoding="utf-8")
    start = text.index("\n", len(text) // 2) + 1
    end = text.index("\n", start)
    skipped = vocabulary_from_files([seed], nlp=nlp, lexicon=lexicon, skip={seed.name: [(start, end)]})
    assert skipped.n_docs == full.n_docs - 1
    assert sum(skipped.df.values()) < sum(full.df.values())


@pytest.mark.skipif(not (EXTERNAL / "split.tsv").is_file(), reason="the external theme set is not beside the repo")
def test_the_shipped_vocabulary_is_rebuilt_from_the_seeds_without_test_paragraphs(nlp, shared_dir):
    import sys

    sys.path.insert(0, str(ROOT / "scripts"))
    from build_study_vocabulary import build, test_ranges

    ranges = test_ranges(EXTERNAL)
    assert sum(len(r) for r in ranges.values()) > 30
    rebuilt = build(shared_dir, EXTERNAL, nlp=nlp)
    shipped = json.loads(STUDY_FILE.read_text(encoding="utf-8"))
    assert shipped["n_docs"] == rebuilt.n_docs
    assert shipped["df"] == {k: v for k, v in rebuilt.df.items() if v >= 2 or " " in k}
    assert shipped["df"]["communauté de commune"] >= 1 and shipped["df"]["droit à le échec"] == 0


def test_bad_vocabularies_are_refused_clearly():
    with pytest.raises(ValueError, match="n_docs"):
        Vocabulary.from_json({"n_docs": 0, "df": {}})
    with pytest.raises(ValueError, match="df"):
        Vocabulary.from_json({"n_docs": 3, "df": {"mot": "beaucoup"}})
    with pytest.raises(ValueError, match="vocabulary must be"):
        resolve_vocabulary("lexique")
    assert resolve_vocabulary(None) is None
    assert resolve_vocabulary({"n_docs": 4, "df": {"mot": 2}}).weight("mot") < 1


def test_the_vocabulary_and_features_are_parameters_with_their_signature(nlp, book):
    shipped = SegmentCoder(book, nlp=nlp).fit()
    plain = SegmentCoder(book, nlp=nlp, vocabulary=None).fit()
    assert shipped.vocabulary_ is study_vocabulary() and plain.vocabulary_ is None
    assert shipped.signature() != plain.signature()
    texts = ["Le collectif des habitants a obtenu une subvention de la région pour le jardin partagé."]
    assert not np.array_equal(shipped.transform(texts), plain.transform(texts))
    with pytest.raises(ValueError, match="features must be"):
        SegmentCoder(book, nlp=nlp, features="dense").fit()


def test_a_team_classifier_is_used_only_with_the_inputs_it_was_trained_on(nlp, book, tmp_path, shared_dir):
    text = next(shared_dir.glob("seeds/001_*.txt")).read_text(encoding="utf-8")
    paras = [p for p in text.splitlines() if len(p) > 200][:6]
    path = tmp_path / "codings.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["text", "code", "accepted"])
        for p, code in zip(paras, ["cooperation", "pouvoirs_publics", "habitants"] * 2):
            w.writerow([p, code, 1])
    out = train_classifier(path, codebook=book, nlp=nlp, models_dir=tmp_path)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["inputs"] == {"features": "relative", "vocabulary": study_vocabulary().digest()}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        team = build_coder(book, nlp=nlp, models_dir=tmp_path, cache_dir=None)
    assert team.classifier_source_.startswith("team:")
    former = CoderSettings(features="absolute")
    with pytest.warns(UserWarning, match="other classifier inputs"):
        fallback = build_coder(book, nlp=nlp, models_dir=tmp_path, settings=former, cache_dir=None)
    assert fallback.classifier_source_.startswith("codebook:")
    # a model saved before manifests named their inputs was trained on the former features
    del manifest["inputs"]
    (out / "manifest.json").write_text(json.dumps(manifest))
    with pytest.warns(UserWarning, match="other classifier inputs"):
        build_coder(book, nlp=nlp, models_dir=tmp_path, cache_dir=None)
