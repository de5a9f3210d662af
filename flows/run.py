"""Deployment entry point: one narratif run (ingest, analyse what changed, refresh outputs).

The flow is ``narratif.pipeline.flow.run_pipeline``; ``narratif run`` starts the same one.
``prefect deploy flows/run.py:run_pipeline`` registers it on an existing Prefect server.
"""

from narratif.pipeline.flow import run_pipeline

__all__ = ["run_pipeline"]
