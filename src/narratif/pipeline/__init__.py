"""A narratif run: settings, per-document steps, Prefect flows, scheduling."""
