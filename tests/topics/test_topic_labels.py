"""Topic labels: distinctive lemmas of real transcripts, never fillers or generic words."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.feature_extraction.text import CountVectorizer

from narratif.ingest import ingest_file
from narratif.topics.corpus import narrative_windows, word_count
from narratif.topics.labels import GENERIC_WORDS_FILE, Lemmatiser, generic_words, label_stop_words, topic_labels
from narratif.topics.vocabulary import TOKEN_PATTERN, strip_markup

pytestmark = pytest.mark.slow  # loads the French model or runs the pipeline (make test-fast skips it)


@pytest.fixture(scope="module")
def windows(shared_dir):
    """Windows of narrator talk from three CFPP2000 transcripts; each transcript stands for one topic."""
    texts, topics = [], []
    for t, path in enumerate(sorted((shared_dir / "corpora" / "cfpp2000").glob("*.txt"))[:3]):
        doc = ingest_file(path, {})
        segs = pd.DataFrame([{"text": strip_markup(s.text), "n_words": word_count(s.text), "doc_id": doc.doc_id}
                             for s in doc.segments if s.role != "interviewer"])
        for _, group in segs.groupby(narrative_windows(segs, min_words=80)):
            texts.append(" ".join(group["text"]))
            topics.append(t)
    return texts, np.array(topics)


def test_curated_list_holds_what_the_report_showed_and_light_verbs():
    words = generic_words()
    assert {"ici", "instant", "main", "venir", "chose", "truc", "fois", "être", "avoir", "faire"} <= words
    assert {"euh", "ben", "bon", "voilà", "quoi"} <= label_stop_words()
    assert GENERIC_WORDS_FILE.read_text(encoding="utf-8").count("\n") > 100
    assert not {"quartier", "école", "marché", "vélo"} & label_stop_words()  # what topics are about stays


def test_word_forms_merge_into_their_lemma(nlp):
    lemma = Lemmatiser(nlp)(["viennent", "vient", "venu", "quartiers", "mains", "habitait", "vélos"])
    assert {lemma["viennent"], lemma["vient"], lemma["venu"]} == {"venir"}
    assert (lemma["quartiers"], lemma["mains"], lemma["habitait"], lemma["vélos"]) == ("quartier", "main", "habiter",
                                                                                         "vélo")


def test_labels_are_lemmas_over_represented_in_their_topic(windows, nlp):
    texts, topics = windows
    lemmatiser = Lemmatiser(nlp)
    labels = topic_labels(texts, topics, [0, 1, 2], lemmatiser, n_words=6, max_df=0.15)
    assert sorted(labels) == [0, 1, 2] and all(len(words) == 6 for words in labels.values())
    stop = label_stop_words()
    vec = CountVectorizer(token_pattern=TOKEN_PATTERN).fit(texts)
    counts, forms = vec.transform(texts), vec.get_feature_names_out()
    lemma_of = lemmatiser(list(forms))
    for t, words in labels.items():
        assert not set(words) & stop
        for word in words:
            cols = [i for i, f in enumerate(forms) if lemma_of[f] == word]
            own = counts[topics == t][:, cols].sum() / counts[topics == t].sum()
            rest = counts[topics != t][:, cols].sum() / counts[topics != t].sum()
            assert own > 2 * rest, (t, word)  # measured: 3.1x at the least


def test_a_lemma_said_everywhere_never_labels_a_topic(windows, nlp):
    texts, topics = windows
    lemmatiser = Lemmatiser(nlp)
    everywhere = [t + " les enfants" for t in texts]  # unit-test text: "enfant" in every window
    loose = topic_labels(everywhere, topics, [0, 1, 2], lemmatiser, n_words=40, max_df=1.0)
    strict = topic_labels(everywhere, topics, [0, 1, 2], lemmatiser, n_words=40, max_df=0.15)
    assert all("enfant" not in words for words in strict.values())
    assert any("enfant" in words for words in loose.values())


def test_no_topic_no_label(nlp):
    assert topic_labels([], np.array([]), [], Lemmatiser(nlp)) == {}
    assert topic_labels(["euh ben voilà"], np.array([0]), [0], Lemmatiser(nlp)) == {0: []}
