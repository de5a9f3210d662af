"""narratif: quantified narrative analysis of French monographs and life stories."""

from narratif._version import __version__

__all__ = ["__version__", "run"]


def run(*args, **kwargs):
    """Run the pipeline on files or folders; see :func:`narratif.api.run`."""
    from narratif.api import run as _run

    return _run(*args, **kwargs)
