"""The codebook format: the shipped default, validation errors that say where, safe YAML."""

from __future__ import annotations

import textwrap

import pytest

from narratif.codebook import CATEGORIES, CodebookError, default_codebook_path, load_codebook, parse_codebook

SIX = ["cooperation", "pouvoirs_publics", "habitants", "culture_entrepreneuriale", "modeles_economiques",
       "gouvernance"]


def test_default_codebook_has_the_study_structure():
    book = load_codebook()
    assert book.theme_ids == SIX
    assert set(book.categories) == set(CATEGORIES)
    assert book.ids("dimensions") == ["ressort", "energie_cinetique", "robustesse_interne", "impact_evaluation",
                                      "faire_systeme"]
    assert {"probleme", "levier", "rencontre", "moment_cle"} == set(book.ids("miaou"))
    assert {"recit_collectif", "chantiers_participatifs", "visites_apprenantes", "design_services", "forum_ouvert",
            "financement_participatif", "victoires_rapides", "appels_a_communs",
            "toucher_invisibles"} == set(book.ids("levers"))
    for code in book.codes:
        assert code.label and code.description and code.color, code.id
        assert code.category in CATEGORIES
    sub = book.get("gouvernance.passage_relais")
    assert sub.parent == "gouvernance" and sub.category == "themes"
    assert book.top_level("gouvernance.passage_relais") == "gouvernance"
    assert "gouvernance.formes_juridiques" in book.descendants("gouvernance")
    # every theme has enough words and sentences to be evidenced
    for t in SIX:
        code = book.get(t)
        assert len(code.all_terms()) >= 30 and len(code.examples) >= 8, t


def test_installed_package_carries_the_default_codebook(monkeypatch):
    """A wheel has no ``models/`` folder: the package's own data file is the same codebook."""
    import narratif.codebook.schema as cb

    packaged = cb.DATA_DIR / "ess_transitions.yaml"
    assert packaged.read_bytes() == (cb.CHECKOUT_ROOT / "models" / "codebooks" / "ess_transitions.yaml").read_bytes()
    # as installed from a wheel: narratif/ lives in site-packages, with no models/ beside it
    real_is_file = cb.Path.is_file
    monkeypatch.setattr(cb.Path, "is_file", lambda self: "models" not in self.parts and real_is_file(self))
    assert cb.default_codebook_path() == packaged
    assert load_codebook(cb.default_codebook_path()).theme_ids == SIX


def test_fingerprint_is_stable_and_content_based(tmp_path):
    a = load_codebook()
    text = default_codebook_path().read_text(encoding="utf-8")
    p = tmp_path / "copy.yaml"
    p.write_text("# a comment changes nothing\n" + text, encoding="utf-8")
    assert load_codebook(p).fingerprint() == a.fingerprint()
    p.write_text(text.replace("Coopération entre acteurs diversifiés", "Coopération"), encoding="utf-8")
    assert load_codebook(p).fingerprint() != a.fingerprint()


def _write(tmp_path, body: str):
    p = tmp_path / "book.yaml"
    p.write_text(textwrap.dedent(body), encoding="utf-8")
    return p


def test_error_names_file_code_and_field(tmp_path):
    p = _write(tmp_path, """
        name: t
        categories:
          themes:
            - id: alpha
              label: Alpha
              keywords: [a]
              color: red
    """)
    with pytest.raises(CodebookError) as err:
        load_codebook(p)
    msg = str(err.value)
    assert str(p) in msg and "'alpha'" in msg and "color" in msg


def test_unknown_field_and_bad_id_are_reported(tmp_path):
    p = _write(tmp_path, """
        name: t
        categories:
          themes:
            - id: Alpha Beta
              label: A
              keywords: [a]
              weight: 3
    """)
    with pytest.raises(CodebookError) as err:
        load_codebook(p)
    msg = str(err.value)
    assert "weight" in msg and "id" in msg


def test_duplicate_ids_unknown_category_and_empty_code(tmp_path):
    dup = {"name": "t", "categories": {"themes": [
        {"id": "a", "label": "A", "keywords": ["x"], "children": [{"id": "a", "label": "A2", "keywords": ["y"]}]}]}}
    with pytest.raises(CodebookError, match="duplicate code id 'a'"):
        parse_codebook(dup, source="dup.yaml")
    with pytest.raises(CodebookError, match="unknown categories"):
        parse_codebook({"name": "t", "categories": {"topics": []}})
    with pytest.raises(CodebookError, match="'b' has no description"):
        parse_codebook({"name": "t", "categories": {"themes": [{"id": "b", "label": "B"}]}})


def test_yaml_is_loaded_safely(tmp_path):
    p = _write(tmp_path, """
        name: !!python/object/apply:os.system ["echo pwned"]
        categories: {}
    """)
    with pytest.raises(CodebookError, match="not valid YAML"):
        load_codebook(p)
    with pytest.raises(CodebookError, match="cannot read"):
        load_codebook(tmp_path / "missing.yaml")
    with pytest.raises(CodebookError, match="mapping"):
        load_codebook(_write(tmp_path, "- just\n- a list\n"))
