"""Corpus-level aggregates: quantification and the collective narrative."""
