"""Saving and loading the fitted topic model under ``MODELS/topics/``.

BERTopic is saved with pickle serialization *without* the embedding model (the
backend is rebuilt from the project on load); safetensors would drop UMAP and
HDBSCAN, so new segments could no longer be assigned by ``transform``. The
manifest records the embedding backend, the settings and the stable ids; a model
fitted with another backend or other fit settings is never reused.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from narratif.embeddings import EmbeddingBackend
from narratif.topics._base import TopicSettings
from narratif.topics.bertopic_backend import BackendEmbedder, SegmentTopicModel

MODEL_FILE = "bertopic.pkl"
STATE_FILE = "state.npz"
MANIFEST_FILE = "manifest.json"
BACKEND_STATE_FILE = "backend_state.json"
FORMAT_VERSION = 2


@dataclass
class SavedTopics:
    """A loaded model with its stable ids."""

    model: SegmentTopicModel
    #: fit id -> stable id
    id_map: dict[int, int]
    next_id: int
    manifest: dict = field(default_factory=dict)


def topics_dir(models_dir: Path) -> Path:
    return Path(models_dir) / "topics"


def save(models_dir: Path, model: SegmentTopicModel, *, id_map: dict[int, int], next_id: int,
         backend: EmbeddingBackend, settings: TopicSettings, n_fitted: int) -> Path:
    """Write model, state and manifest into a fresh folder, then swap it in."""
    from narratif.topics._numba_cache import import_umap_with_cache

    import_umap_with_cache()
    import bertopic

    target = topics_dir(models_dir)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".topics-", dir=target.parent))
    try:
        model.model_.save(str(tmp / MODEL_FILE), serialization="pickle", save_embedding_model=False)
        np.savez(tmp / STATE_FILE, mean=model.mean_, components=model.components_, centroids=model.centroids_,
                 topic_ids=np.asarray(model.topic_ids_, dtype=np.int64))
        manifest = {
            "format": FORMAT_VERSION, "bertopic": bertopic.__version__, "backend": backend.signature(),
            "fit_signature": settings.fit_signature(), "settings": settings.as_dict(), "n_fitted": n_fitted,
            "id_map": {str(k): int(v) for k, v in sorted(id_map.items())}, "next_id": int(next_id),
            "terms": {str(id_map[t]): dict(model.topic_terms(t)) for t in model.topic_ids_},
        }
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


def load(models_dir: Path, backend: EmbeddingBackend, settings: TopicSettings) -> SavedTopics | None:
    """The saved model if it was fitted with this backend and these fit settings, else None."""
    from narratif.topics._numba_cache import import_umap_with_cache

    import_umap_with_cache()
    from bertopic import BERTopic

    manifest = read_manifest(models_dir)
    folder = topics_dir(models_dir)
    if (manifest is None or manifest.get("format") != FORMAT_VERSION
            or manifest.get("backend") != backend.signature()
            or manifest.get("fit_signature") != settings.fit_signature()
            or not (folder / MODEL_FILE).exists()):
        return None
    model = SegmentTopicModel(settings=settings, backend=backend)
    with np.load(folder / STATE_FILE, allow_pickle=False) as state:
        model.mean_ = state["mean"]
        model.components_ = state["components"]
        model.centroids_ = state["centroids"]
        model.topic_ids_ = [int(t) for t in state["topic_ids"]]
    model.model_ = BERTopic.load(str(folder / MODEL_FILE),
                                 embedding_model=BackendEmbedder(backend, model.centred))
    id_map = {int(k): int(v) for k, v in manifest["id_map"].items()}
    return SavedTopics(model=model, id_map=id_map, next_id=int(manifest["next_id"]), manifest=manifest)


def previous_profile(models_dir: Path):
    """The saved topics as a :class:`~.stable_ids.TopicProfile` (stable ids), or None."""
    from narratif.topics.bertopic_backend import unit_rows
    from narratif.topics.stable_ids import TopicProfile

    manifest = read_manifest(models_dir)
    state_path = topics_dir(models_dir) / STATE_FILE
    if manifest is None or not state_path.exists():
        return None
    id_map = {int(k): int(v) for k, v in manifest.get("id_map", {}).items()}
    with np.load(state_path, allow_pickle=False) as state:
        mean, centroids, fit_ids = state["mean"], state["centroids"], [int(t) for t in state["topic_ids"]]
        components = state["components"] if "components" in state.files else np.zeros((0, len(mean)), np.float32)
    ids = [id_map[t] for t in fit_ids]
    terms = [manifest.get("terms", {}).get(str(i), {}) for i in ids]
    centred = centroids - mean
    if len(components):
        centred = centred - (centred @ components.T) @ components
    return TopicProfile(ids=ids, centroids=unit_rows(centred) if len(ids) else centroids, terms=terms), \
        int(manifest.get("next_id", 0))
