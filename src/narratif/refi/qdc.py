"""REFI-QDA codebooks (.qdc): write narratif's codebook (reading one back is :mod:`narratif.codebook.qdc`).

A ``.qdc`` is one XML document, ``<CodeBook xmlns="urn:QDA-XML:codebook:1.0">``
holding ``<Codes>``, the same code elements a ``.qdpx`` project carries. Reading
keeps names, colours, descriptions and hierarchy; top-level codes of foreign
codebooks become themes, and turning-point types (narratif's own group) are left
out because they are not codebook codes.
"""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from narratif.codebook.load import load_codebook
from narratif.codebook import Codebook
from narratif.refi.common import NS_CODEBOOK, ORIGIN, atomic_write, codebook_codes, codes_to_xml


def codebook_xml(codebook: Codebook) -> etree._Element:
    root = etree.Element(f"{{{NS_CODEBOOK}}}CodeBook", {"origin": ORIGIN}, nsmap={None: NS_CODEBOOK})
    codes = etree.SubElement(root, f"{{{NS_CODEBOOK}}}Codes")
    codes_to_xml(codes, codebook_codes(codebook), NS_CODEBOOK)
    return root


def export_qdc(codebook: Codebook | str | Path | None, target: str | Path) -> Path:
    """Write ``codebook`` (a Codebook, a codebook file, or None for the default) as a .qdc."""
    if not isinstance(codebook, Codebook):
        codebook = load_codebook(codebook)
    data = etree.tostring(codebook_xml(codebook), xml_declaration=True, encoding="utf-8", pretty_print=True)
    return atomic_write(target, lambda tmp: tmp.write_bytes(data))
