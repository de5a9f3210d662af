"""Parsing with spaCy: model loading, registered components, ``._`` extensions."""
