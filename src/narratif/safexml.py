"""XML from untrusted files: any document type declaration is refused before parsing.

lxml's ``resolve_entities=False`` leaves entities in text unexpanded, but internal
entities in attribute values are still expanded, so a billion-laughs project file
is only stopped by libxml2's own amplification limit. No file narratif reads
(.docx parts, .odt content, REFI-QDA projects and codebooks) needs a DTD, so one
is refused outright. The check is a streaming expat pass (defusedxml) that stops
at the root element, the latest point a DTD may appear, and honours the document's
declared encoding, so a UTF-16 file cannot hide its ``<!DOCTYPE``.
"""

from __future__ import annotations

from xml.sax import SAXException
from xml.sax.handler import ContentHandler

from defusedxml import DefusedXmlException
from defusedxml.sax import parseString


class DTDRefused(ValueError):
    """An XML document that declares a DTD or entities."""


class _RootReached(Exception):
    pass


class _StopAtRoot(ContentHandler):
    def startElement(self, name, attrs):  # SAX names the callbacks
        raise _RootReached

    def startElementNS(self, name, qname, attrs):
        raise _RootReached


def refuse_dtd(data: bytes, *, source: str) -> None:
    """Raise :class:`DTDRefused` naming ``source`` when ``data`` declares a DTD or entities.

    Malformed XML passes: the parser that follows reports it with its own message.
    """
    try:
        parseString(data, _StopAtRoot(), forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except _RootReached:
        return
    except DefusedXmlException as exc:
        raise DTDRefused(f"{source}: declares a DTD or entities ({type(exc).__name__}), refused") from None
    except SAXException:
        return
