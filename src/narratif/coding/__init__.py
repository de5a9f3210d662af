"""Theme coding: lexicon, semantic and classifier evidence combined into calibrated scores.

``build_coder(codebook, nlp=...)`` gives a :class:`SegmentCoder` whose ``code(parsed)``
returns :class:`narratif.models.Coding` rows; ``train_classifier`` fits a team's
classifier from validated codings; ``code_text`` is the quick check behind
``narratif code``.
"""

from narratif.coding.classifier import CodeClassifier, code_features, read_codings_csv
from narratif.coding.coder import CoderSettings, SegmentCoder, build_coder, code_text, train_classifier
from narratif.coding.lexicon import LexiconMatcher
from narratif.coding.semantic import SemanticScorer

__all__ = [
    "CodeClassifier", "CoderSettings", "LexiconMatcher", "SegmentCoder", "SemanticScorer",
    "build_coder", "code_features", "code_text", "read_codings_csv", "train_classifier",
]
