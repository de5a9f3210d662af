"""Theme coding: lexicon, semantic and classifier evidence combined into calibrated scores.

:class:`SegmentCoder` is a scikit-learn transformer (``fit`` learns from the codebook and
a team's labelled texts, ``transform`` gives one score per code, ``code(parsed)`` returns
:class:`narratif.models.Coding` rows with evidence). ``build_coder(codebook, nlp=...)``
gives a fitted one: the team's classifier when ``narratif train`` saved one, else the
default coder, restored from its cache file when fitted before; ``train_classifier``
fits a team's classifier from validated codings; ``code_text`` is the quick check
behind ``narratif code``.
"""

from narratif.coding.classifier import CodeClassifier, code_features, read_codings_csv
from narratif.coding.coder import CoderSettings, SegmentCoder, build_coder, code_text, train_classifier
from narratif.coding.lexicon import LexiconMatcher
from narratif.coding.persist import default_cache_dir
from narratif.coding.semantic import SemanticScorer

__all__ = [
    "CodeClassifier", "CoderSettings", "LexiconMatcher", "SegmentCoder", "SemanticScorer",
    "build_coder", "code_features", "code_text", "default_cache_dir", "read_codings_csv", "train_classifier",
]
