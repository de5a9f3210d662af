"""Topic discovery (BERTopic over narrator segments): what analysts did not expect.

Topics are fitted once and kept: later runs assign new segments to the saved
topics (and refit when they drift away), and a refit maps old topic ids onto new
ones so summaries stay linked. ``_base.TopicBackend`` is the swappable model;
``update_topics`` sequences fit, assign, link and write.
"""

from narratif.topics._base import TopicBackend, TopicState
from narratif.topics.bertopic_backend import BackendEmbedder, BERTopicBackend, SegmentTopicModel
from narratif.topics.quality import coherence_npmi, topic_diversity
from narratif.topics.settings import TopicSettings, TopicsResult
from narratif.topics.update import update_topics

__all__ = ["BackendEmbedder", "BERTopicBackend", "SegmentTopicModel", "TopicBackend", "TopicSettings",
           "TopicState", "TopicsResult", "coherence_npmi", "topic_diversity", "update_topics"]
