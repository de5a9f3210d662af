"""narratif: quantified narrative analysis of French monographs and life stories."""

__version__ = "0.1.0"


def run(*args, **kwargs):
    """Run the pipeline on files or folders; see :func:`narratif.api.run`."""
    from .api import run as _run

    return _run(*args, **kwargs)
