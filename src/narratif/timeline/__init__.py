"""Temporal expressions, French number words, and dating turning points."""
