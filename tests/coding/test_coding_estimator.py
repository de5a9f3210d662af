"""The theme coder as a scikit-learn estimator, and its fitted state kept on disk.

scikit-learn generates no check at all for an estimator whose input is text (its
generator stops when the ``two_d_array`` input tag is off). ``_AllChecks`` only turns
that tag on so the whole battery is generated: the checks that do not need data run
and must pass; every check that feeds numeric arrays is listed below with the reason
and must fail (strict xfail: the coder refuses numbers with a clear message). What
those checks verify is then tested here on real text: fit returns self and leaves
parameters alone, clone, idempotent fit, order and subset invariance, no state
changed by transform.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks

from narratif.codebook import load_codebook, parse_codebook
from narratif.coding import SegmentCoder, build_coder, code_text, persist
from narratif.coding.lexicon import LexiconMatcher

pytestmark = pytest.mark.slow  # loads the French model or runs the pipeline (make test-fast skips it)

_NUMERIC = "feeds numeric arrays; the coder reads texts (str or spaCy Doc) and says so"
_NUMERIC_CHECKS = [
    "check_fit_score_takes_y", "check_estimators_overwrite_params", "check_dont_overwrite_parameters",
    "check_estimators_fit_returns_self", "check_readonly_memmap_input", "check_n_features_in_after_fitting",
    "check_positive_only_tag_during_fit", "check_estimators_dtypes", "check_sample_weights_pandas_series",
    "check_sample_weights_not_an_array", "check_sample_weights_list", "check_all_zero_sample_weights_error",
    "check_sample_weights_shape", "check_sample_weights_not_overwritten",
    "check_sample_weight_equivalence_on_dense_data", "check_complex_data", "check_dtype_object",
    "check_estimators_empty_data_messages", "check_pipeline_consistency", "check_estimators_nan_inf",
    "check_estimator_sparse_tag", "check_estimator_sparse_array", "check_estimator_sparse_matrix",
    "check_estimators_pickle", "check_f_contiguous_array_estimator", "check_transformer_data_not_an_array",
    "check_transformer_general", "check_methods_sample_order_invariance", "check_methods_subset_invariance",
    "check_fit2d_1sample", "check_fit2d_1feature", "check_dict_unchanged", "check_fit_idempotent",
    "check_fit_check_is_fitted", "check_n_features_in", "check_fit2d_predict1d",
]


class _AllChecks(SegmentCoder):
    """The coder, claiming 2-D input only so that scikit-learn generates its checks."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = True
        return tags


@parametrize_with_checks([SegmentCoder(), _AllChecks()], xfail_strict=True,
                         expected_failed_checks=lambda est: dict.fromkeys(_NUMERIC_CHECKS, _NUMERIC)
                         if isinstance(est, _AllChecks) else {})
def test_sklearn_checks_that_apply_to_text_input(estimator, check):
    check(estimator)


@pytest.fixture(scope="module")
def book():
    return load_codebook()


@pytest.fixture(scope="module")
def fitted(nlp, book):
    return SegmentCoder(book, nlp=nlp).fit()


@pytest.fixture(scope="module")
def paragraphs(shared_dir):
    """Real paragraphs of the study's seed documents (several themes)."""
    text = next(shared_dir.glob("seeds/003_*.txt")).read_text(encoding="utf-8")
    paras = [p.strip() for p in text.splitlines() if len(p.strip()) > 200]
    assert len(paras) >= 8
    return paras[:8]


def test_init_stores_parameters_and_fit_learns(nlp, book):
    coder = SegmentCoder(book, nlp=nlp, methods=("lexicon", "classifier"), threshold=0.4)
    before = coder.get_params()
    assert before["threshold"] == 0.4 and before["codebook"] is book and before["nlp"] is nlp
    assert not [k for k in vars(coder) if k.endswith("_")]
    with pytest.raises(NotFittedError):
        coder.transform(["Les élus ont soutenu la démarche."])
    assert coder.fit() is coder
    after = coder.get_params()
    assert all(after[k] is v or after[k] == v for k, v in before.items())
    assert set(coder.classifiers_) >= {"themes"} and coder.code_ids_[0] == book.codes[0].id
    assert coder.classifier_source_ == f"codebook:{book.fingerprint()}"


def test_bad_parameters_fail_in_fit_with_a_clear_message(nlp, book):
    SegmentCoder(book, nlp=nlp, methods=("telepathy",))  # __init__ does not validate
    for params, match in [({"methods": ("telepathy",)}, "methods must be"),
                          ({"threshold": 2.0}, "threshold must be"),
                          ({"weights": {"lexicon": -1}}, "weights must"),
                          ({"classifier_C": 0}, "classifier_C must be")]:
        with pytest.raises(ValueError, match=match):
            SegmentCoder(book, nlp=nlp, **params).fit()
    with pytest.raises(ValueError, match="single text"):
        SegmentCoder(book, nlp=nlp).fit("un texte", ["cooperation"])
    with pytest.raises(ValueError, match="one label per text"):
        SegmentCoder(book, nlp=nlp).fit(["un texte", "un autre"], ["cooperation"])
    with pytest.raises(ValueError, match="not a code of codebook"):
        SegmentCoder(book, nlp=nlp).fit(["un texte"], ["telepathie"])
    with pytest.raises(ValueError, match="nothing to learn"):
        SegmentCoder(book, nlp=nlp, codebook_examples=False).fit()


def test_clone_is_unfitted_and_shares_the_loaded_models(fitted, nlp):
    copy = clone(fitted)
    assert copy.nlp is nlp and copy.codebook is not fitted.codebook
    assert not hasattr(copy, "classifiers_")
    assert copy.get_params(deep=False).keys() == fitted.get_params(deep=False).keys()
    copy.set_params(threshold=0.5)
    assert fitted.threshold == 0.35


def test_transform_gives_the_scores_behind_the_codings(fitted, paragraphs):
    # without the bold marks that a run blanks before parsing, both paths parse the same text
    paragraphs = [p.replace("**", "") for p in paragraphs]
    scores = fitted.transform(paragraphs)
    names = list(fitted.get_feature_names_out())
    assert scores.shape == (len(paragraphs), len(names)) and names == fitted.code_ids_
    assert np.isfinite(scores).all() and scores.min() >= 0 and scores.max() <= 1
    df = code_text(paragraphs[0], coder=fitted)
    assert len(df) > 0
    for row in df.itertuples():  # every coding row carries the transform score of its code
        assert row.score == round(float(scores[0, names.index(row.code)]), 4)


def test_transform_is_per_segment_and_leaves_the_coder_unchanged(fitted, paragraphs):
    state = {k: v for k, v in vars(fitted).items() if not k.endswith("_")}
    full = fitted.transform(paragraphs)
    order = np.arange(len(paragraphs))[::-1]
    np.testing.assert_allclose(fitted.transform([paragraphs[i] for i in order]), full[order], atol=1e-5)
    np.testing.assert_allclose(fitted.transform(paragraphs[2:4]), full[2:4], atol=1e-5)
    assert {k: v for k, v in vars(fitted).items() if not k.endswith("_")} == state
    docs = list(fitted.nlp_.pipe(paragraphs[:2]))
    np.testing.assert_allclose(fitted.transform(docs), full[:2], atol=1e-5)
    with pytest.raises(ValueError, match="texts"):
        fitted.transform(np.zeros((2, 3)))


def test_fit_twice_gives_the_same_model(nlp, book, paragraphs):
    coder = SegmentCoder(book, nlp=nlp)
    first = coder.fit().transform(paragraphs[:3])
    np.testing.assert_array_equal(coder.fit().transform(paragraphs[:3]), first)


def test_fit_adds_labelled_texts_to_what_the_codebook_teaches(nlp, book, paragraphs):
    base = SegmentCoder(book, nlp=nlp, methods=("classifier",)).fit()
    labelled = SegmentCoder(book, nlp=nlp, methods=("classifier",)).fit(
        paragraphs[:4], ["habitants"] * 4, sample_weight=[3.0] * 4)
    col = base.code_ids_.index("habitants")  # about 0.03 before, 0.8 after
    assert labelled.transform(paragraphs[:4])[:, col].mean() > base.transform(paragraphs[:4])[:, col].mean()
    assert labelled.classifier_source_.startswith("fit:") and labelled.signature() != base.signature()
    # a reviewed coding may say "none of this category" as a mapping
    none = SegmentCoder(book, nlp=nlp).fit(paragraphs[:1], [{"themes": "__none__"}])
    assert "__none__" in none.classifiers_["themes"].classes_


def test_the_coder_fits_in_a_pipeline(nlp, book, paragraphs):
    labels = ["cooperation", "pouvoirs_publics"] * 4
    pipe = make_pipeline(SegmentCoder(book, nlp=nlp), LogisticRegression()).fit(paragraphs, labels)
    assert set(pipe.predict(paragraphs[:2])) <= set(labels)


def test_default_coder_is_saved_once_then_restored_as_fitted(nlp, book, paragraphs, tmp_path, monkeypatch):
    fresh = build_coder(book, nlp=nlp, cache_dir=None)
    first = build_coder(book, nlp=nlp, cache_dir=tmp_path)
    files = list((tmp_path / "coding").glob("default-coder-*.joblib"))
    assert len(files) == 1

    def no_refit(self, *a, **k):
        raise AssertionError("the saved coder should have been restored")

    monkeypatch.setattr(SegmentCoder, "fit", no_refit)
    restored = build_coder(book, nlp=nlp, cache_dir=tmp_path)
    np.testing.assert_array_equal(restored.transform(paragraphs), fresh.transform(paragraphs))
    assert restored.signature() == first.signature() == fresh.signature()
    assert restored.lexicon_.analyses == fresh.lexicon_.analyses


def test_a_broken_cache_file_is_refitted_with_a_warning(nlp, book, tmp_path, caplog):
    coder = build_coder(book, nlp=nlp, cache_dir=tmp_path)
    path = persist.cache_path(coder, tmp_path)
    path.write_bytes(b"not a joblib file")
    with caplog.at_level(logging.WARNING, logger="narratif.coding.persist"):
        again = build_coder(book, nlp=nlp, cache_dir=tmp_path)
    assert str(path) in caplog.text and "fitting it again" in caplog.text
    assert again.signature() == coder.signature() and persist.load_state(path) is not None


def test_the_cache_key_follows_the_codebook_and_the_fit_parameters(nlp, book):
    base = SegmentCoder(book, nlp=nlp).resolve()
    other = book.as_dict()
    other["categories"]["themes"][0]["examples"].append("Les acteurs du territoire coopèrent.")
    changed = SegmentCoder(parse_codebook(other), nlp=nlp).resolve()
    stronger = SegmentCoder(book, nlp=nlp, classifier_C=1.0).resolve()
    threshold = SegmentCoder(book, nlp=nlp, threshold=0.5).resolve()  # scoring only: same fit
    keys = {persist.cache_key(c) for c in (base, changed, stronger)}
    assert len(keys) == 3 and persist.cache_key(threshold) == persist.cache_key(base)


def test_saved_keyword_analyses_rebuild_the_same_matcher(nlp, book, shared_dir):
    fresh = LexiconMatcher(book, nlp)
    saved = LexiconMatcher(book, nlp, analyses=fresh.analyses)
    text = Path(next(shared_dir.glob("seeds/002_*.txt"))).read_text(encoding="utf-8")
    docs = list(nlp.pipe([p for p in text.splitlines() if len(p) > 300][:20]))
    a, b = fresh.match(docs), saved.match(docs)
    assert a.weights.sum() > 0
    np.testing.assert_array_equal(a.weights, b.weights)
    assert a.evidence == b.evidence
