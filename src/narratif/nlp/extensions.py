"""All ``Doc``/``Span``/``Token`` ``._`` attributes narratif uses, declared in one place.

Registered safely on re-import (``force=False`` after ``has_extension``), never
inside a component's ``__call__``.
"""

from __future__ import annotations

from spacy.tokens import Doc, Span, Token

_DOC_EXTENSIONS: dict[str, dict] = {
    "turning_point_settings": {"default": None},  # signature of the settings sentences were scored with
}
_SPAN_EXTENSIONS: dict[str, dict] = {
    "turning_point": {"default": None},  # dict: type, polarity, score, evidence
    "orientation": {"default": None},  # past | present | future
    "time_expressions": {"default": None},  # list of dicts
}
_TOKEN_EXTENSIONS: dict[str, dict] = {}


def set_extensions() -> None:
    for cls, table in ((Doc, _DOC_EXTENSIONS), (Span, _SPAN_EXTENSIONS), (Token, _TOKEN_EXTENSIONS)):
        for name, kwargs in table.items():
            if not cls.has_extension(name):
                cls.set_extension(name, **kwargs)


set_extensions()  # importing this module registers them
