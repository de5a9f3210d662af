"""Turning points: detection, lexicon, features, type classifier, team adaptation, analysts' reviews."""
