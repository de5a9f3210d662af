"""Topic discovery (BERTopic over narrator segments): what analysts did not expect.

Topics are fitted once and kept: later runs assign new segments to the saved
topics, and a refit maps old topic ids onto new ones so summaries stay linked.
"""

from narratif.topics._base import TopicSettings, TopicsResult
from narratif.topics.bertopic_backend import BackendEmbedder, SegmentTopicModel
from narratif.topics.quality import coherence_npmi, topic_diversity
from narratif.topics.update import update_topics

__all__ = ["BackendEmbedder", "SegmentTopicModel", "TopicSettings", "TopicsResult", "coherence_npmi",
           "topic_diversity", "update_topics"]
