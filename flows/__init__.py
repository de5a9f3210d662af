"""Prefect flows: thin orchestration over :mod:`narratif` library functions."""
