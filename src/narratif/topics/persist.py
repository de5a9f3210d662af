"""Saving and loading the fitted topic model under ``MODELS/topics/``.

The backend writes its own model file (BERTopic: pickle *without* the embedding
model, which is rebuilt from the project on load); its :class:`~._base.TopicState`
goes to ``state.npz`` and the manifest. The manifest records the embedding backend,
the settings, the stable ids, the labels and the drift reference; a model fitted
with another backend or other fit settings is never reused.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path

import numpy as np

from narratif.embeddings import EmbeddingBackend
from narratif.topics._base import TopicBackend, TopicState
from narratif.topics.bertopic_backend import BERTopicBackend
from narratif.topics.settings import TopicSettings

log = logging.getLogger(__name__)

STATE_FILE = "state.npz"
MANIFEST_FILE = "manifest.json"
BACKEND_STATE_FILE = "backend_state.json"
#: 3: topic labels, drift reference and the topic backend's name in the manifest
FORMAT_VERSION = 3


@dataclass
class FittedTopics:
    """A fitted topic model with what the stage keeps beside it."""

    model: TopicBackend
    #: fit id -> stable id
    id_map: dict[int, int]
    next_id: int
    #: stable id -> label words (most distinctive lemmas)
    labels: dict[int, list[str]] = field(default_factory=dict)
    #: the fit's own drift figures, what new segments are compared with (see :mod:`.drift`)
    reference: dict = field(default_factory=dict)
    n_fitted: int = 0
    manifest: dict = field(default_factory=dict)


def topics_dir(models_dir: Path) -> Path:
    return Path(models_dir) / "topics"


#: topic backends by the name their manifests record
BACKENDS: dict[str, type[TopicBackend]] = {BERTopicBackend.name: BERTopicBackend}


def _write_state(folder: Path, state: TopicState) -> None:
    np.savez(folder / STATE_FILE, mean=state.mean, components=state.components, centroids=state.centroids,
             topic_ids=np.asarray(state.topic_ids, dtype=np.int64))


def _manifest(fitted: FittedTopics, backend: EmbeddingBackend, settings: TopicSettings) -> dict:
    state = fitted.model.get_state()
    return {
        "format": FORMAT_VERSION, "topic_backend": fitted.model.name, "bertopic": version("bertopic"),
        "backend": backend.signature(), "fit_signature": settings.fit_signature(), "settings": settings.as_dict(),
        "n_fitted": fitted.n_fitted, "id_map": {str(k): int(v) for k, v in sorted(fitted.id_map.items())},
        "next_id": int(fitted.next_id),
        "terms": {str(fitted.id_map[t]): dict(state.terms.get(t, [])) for t in state.topic_ids},
        "guided": {str(fitted.id_map[t]): int(i) for t, i in sorted(state.guided.items())},
        "labels": {str(k): list(v) for k, v in sorted(fitted.labels.items())},
        "reference": fitted.reference,
    }


def save(models_dir: Path, fitted: FittedTopics, *, backend: EmbeddingBackend, settings: TopicSettings) -> Path:
    """Write model, state and manifest into a fresh folder, then swap it in."""
    target = topics_dir(models_dir)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".topics-", dir=target.parent))
    try:
        fitted.model.save(tmp)
        _write_state(tmp, fitted.model.get_state())
        manifest = _manifest(fitted, backend, settings)
        (tmp / MANIFEST_FILE).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
        state = backend.get_state() if hasattr(backend, "get_state") else {}
        if state:  # what a corpus-fitted backend learned, so later runs embed new segments the same way
            (tmp / BACKEND_STATE_FILE).write_text(json.dumps(state, ensure_ascii=False), encoding="utf-8")
        old = target.with_name(".topics-old")
        if old.exists():
            shutil.rmtree(old)
        if target.exists():
            os.replace(target, old)
        os.replace(tmp, target)
        shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target


def read_manifest(models_dir: Path) -> dict | None:
    path = topics_dir(models_dir) / MANIFEST_FILE
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def restore_backend(models_dir: Path, backend: EmbeddingBackend) -> bool:
    """Give a corpus-fitted backend the state saved with the model; True when it now matches the model."""
    manifest = read_manifest(models_dir)
    path = topics_dir(models_dir) / BACKEND_STATE_FILE
    if manifest is None or not path.exists() or not hasattr(backend, "set_state"):
        return False
    try:
        backend.set_state(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError):
        return False
    return backend.signature() == manifest.get("backend")


def _read_state(folder: Path, manifest: dict) -> TopicState:
    """The saved state; terms and guided codes come back under the fit's own ids."""
    id_map = {int(k): int(v) for k, v in manifest.get("id_map", {}).items()}
    stable_to_fit = {v: k for k, v in id_map.items()}
    with np.load(folder / STATE_FILE, allow_pickle=False) as state:
        mean, centroids, fit_ids = state["mean"], state["centroids"], [int(t) for t in state["topic_ids"]]
        components = state["components"] if "components" in state.files else np.zeros((0, len(mean)), np.float32)
    terms = {stable_to_fit[int(k)]: [(w, float(v)) for w, v in d.items()]
             for k, d in manifest.get("terms", {}).items() if int(k) in stable_to_fit}
    guided = {stable_to_fit[int(k)]: int(i) for k, i in manifest.get("guided", {}).items() if int(k) in stable_to_fit}
    return TopicState(topic_ids=fit_ids, centroids=centroids, mean=mean, components=components, terms=terms,
                      guided=guided)


def load(models_dir: Path, backend: EmbeddingBackend, settings: TopicSettings) -> FittedTopics | None:
    """The saved model if it was fitted with this backend and these fit settings, else None."""
    manifest = read_manifest(models_dir)
    folder = topics_dir(models_dir)
    if (manifest is None or manifest.get("format") != FORMAT_VERSION
            or manifest.get("backend") != backend.signature()
            or manifest.get("fit_signature") != settings.fit_signature()
            or not (folder / STATE_FILE).exists()):
        return None
    cls = BACKENDS.get(manifest.get("topic_backend", ""))
    if cls is None:
        return None
    try:
        model = cls.load(folder, _read_state(folder, manifest), settings=settings, backend=backend)
    except Exception as exc:  # a missing or broken model file: fit again
        log.warning("topics: saved model in %s unreadable (%s: %s); fitting again", folder, type(exc).__name__, exc)
        return None
    return FittedTopics(model=model, id_map={int(k): int(v) for k, v in manifest["id_map"].items()},
                        next_id=int(manifest["next_id"]),
                        labels={int(k): list(v) for k, v in manifest.get("labels", {}).items()},
                        reference=dict(manifest.get("reference", {})), n_fitted=int(manifest.get("n_fitted", 0)),
                        manifest=manifest)


def previous_topics(models_dir: Path) -> tuple[list[int], TopicState, int] | None:
    """The saved topics (stable ids, raw-space state) and the next free id, or None.

    Read for any format that has a state and a manifest: a refit after an upgrade
    still maps the old ids.
    """
    manifest = read_manifest(models_dir)
    folder = topics_dir(models_dir)
    if manifest is None or not (folder / STATE_FILE).exists():
        return None
    try:
        state = _read_state(folder, manifest)
        id_map = {int(k): int(v) for k, v in manifest.get("id_map", {}).items()}
        return [id_map[t] for t in state.topic_ids], state, int(manifest.get("next_id", 0))
    except (OSError, KeyError, ValueError):
        return None
