"""The topic backend contract: an abstract base, BERTopic behind it, state saved and loaded, small functions."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from narratif.embeddings import SpacyVectors
from narratif.ingest import ingest_file
from narratif.topics import BERTopicBackend, TopicBackend, TopicSettings, TopicState
from narratif.topics import persist
from narratif.topics.corpus import windowed_units, word_count

pytestmark = pytest.mark.slow  # loads the French model or runs the pipeline (make test-fast skips it)

TOPICS = Path(__file__).resolve().parents[2] / "src" / "narratif" / "topics"


def test_backend_base_class_is_abstract():
    with pytest.raises(TypeError):
        TopicBackend()

    class FitOnly(TopicBackend):
        def fit(self, docs, embeddings):
            return self

    with pytest.raises(TypeError, match="get_state"):
        FitOnly()
    assert issubclass(BERTopicBackend, TopicBackend) and BERTopicBackend.name == "bertopic"


@pytest.fixture(scope="module")
def fitted(shared_dir, nlp):
    doc = ingest_file(sorted((shared_dir / "corpora" / "cfpp2000").glob("*.txt"))[0], {})
    segs = pd.DataFrame([{"doc_id": doc.doc_id, "text": s.text, "n_words": word_count(s.text)} for s in doc.segments
                         if s.role != "interviewer" and word_count(s.text) >= 3])
    segs["n_content"] = segs["n_words"]
    backend = SpacyVectors(nlp)
    units = windowed_units(segs, np.arange(len(segs)), window_words=40, min_words=8, min_content_words=3,
                           term_docs=segs["text"].tolist(), embeddings=backend.embed(segs["text"].tolist()),
                           embed=backend.embed)
    model = BERTopicBackend(settings=TopicSettings(min_topic_size=10), backend=backend)
    return model.fit(units.texts, units.vectors), units, backend


def test_state_says_what_the_fit_learned(fitted):
    model, units, _ = fitted
    state = model.get_state()
    assert isinstance(state, TopicState) and state.topic_ids == model.topic_ids_ and len(state.topic_ids) >= 2
    assert state.centroids.shape == (len(state.topic_ids), units.vectors.shape[1])
    assert len(model.topics_) == len(units.texts) and set(model.topics_) <= {-1, *state.topic_ids}
    for i, t in enumerate(state.topic_ids):  # centroids are the members' mean vectors
        assert np.allclose(state.centroids[i], units.vectors[model.topics_ == t].mean(axis=0), atol=1e-5)
        assert state.terms[t] and all(w for w, _ in state.terms[t])
    centred = model.centred(units.vectors)
    assert np.allclose(np.linalg.norm(centred, axis=1)[np.linalg.norm(centred, axis=1) > 0], 1.0, atol=1e-5)


def test_saved_state_and_model_come_back_and_assign_alike(fitted, tmp_path):
    model, units, backend = fitted
    settings = TopicSettings(min_topic_size=10)
    ids = {t: 100 + t for t in model.topic_ids_}
    saved = persist.FittedTopics(model=model, id_map=ids, next_id=100 + len(ids), labels={100: ["rue"]},
                                 reference={"far_cosine": 0.5, "far_share": 0.1}, n_fitted=len(units.texts))
    persist.save(tmp_path, saved, backend=backend, settings=settings)
    loaded = persist.load(tmp_path, backend, settings)
    assert loaded is not None and loaded.id_map == ids and loaded.labels == {100: ["rue"]}
    a, b = model.get_state(), loaded.model.get_state()
    assert a.topic_ids == b.topic_ids and a.terms == b.terms and a.guided == b.guided
    assert np.array_equal(a.centroids, b.centroids) and np.array_equal(a.mean, b.mean)
    sample = np.arange(0, len(units.texts), 7)
    texts = [units.texts[i] for i in sample]
    for x, y in zip(model.transform(texts, units.vectors[sample]), loaded.model.transform(texts, units.vectors[sample])):
        assert np.array_equal(x, y)
    assert persist.load(tmp_path, backend, TopicSettings(min_topic_size=11)) is None  # other fit settings
    (persist.topics_dir(tmp_path) / "bertopic.pkl").write_bytes(b"not a pickle")
    assert persist.load(tmp_path, backend, settings) is None  # a broken model file: fit again, no crash


def test_topics_read_no_private_library_attribute_and_stay_small():
    for path in sorted(TOPICS.glob("*.py")):
        source = path.read_text(encoding="utf-8")
        assert not re.search(r"(model_|umap_model|hdbscan_model|topic_model)\._[a-z]", source), path.name
        assert "_topic_id_to_zeroshot_topic_idx" not in source, path.name
        assert source.count("\n") < 600, path.name
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                assert node.end_lineno - node.lineno < 80, f"{path.name}:{node.name}"
