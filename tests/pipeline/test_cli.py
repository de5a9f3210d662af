"""The command line: exit codes, the closing summary, bad input that never stops a run."""

from __future__ import annotations


import pytest
from typer.testing import CliRunner

from narratif.cli import app

pytestmark = pytest.mark.slow  # loads the French model or runs the pipeline (make test-fast skips it)

runner = CliRunner()


def _run(*args):
    result = runner.invoke(app, ["run", *map(str, args)])
    return result, result.output + (result.stderr if result.stderr_bytes is not None else "")


def test_whole_robustness_folder_finishes_with_every_pdf_accounted_for(shared_dir, tmp_path):
    folder = shared_dir / "pdfs" / "robustness"
    pdfs = sorted(folder.glob("*.pdf"))
    assert len(pdfs) == 23
    result, text = _run(folder, "--out", tmp_path / "out", "--no-topics")
    assert result.exit_code == 0, text
    assert "25 documents" in text and "9 quarantined" in text  # 23 PDFs + 2 licence texts
    import narratif.api

    docs = narratif.api.Tables(tmp_path / "out")["documents"]
    docs = docs[docs["format"] == "pdf"]
    assert len(docs) == 23
    q = docs[docs["status"] == "quarantined"]
    assert all(q["error"].str.match(r"^(encrypted|no_text_layer|empty|unreadable)")), q[["path", "error"]]
    assert {p.split("/")[-1] for p in q["path"]} >= {"empty.pdf", "aes-256-r6.pdf", "rc4-128.pdf",
                                                      "password-example.pdf", "pdf-with-jbig2.pdf"}
    assert (docs["status"] == "ok").sum() >= 14


def test_folder_without_supported_files_warns_and_exits_zero(tmp_path):
    empty = tmp_path / "nothing"
    empty.mkdir()
    (empty / "notes.xyz").write_text("x")
    result, text = _run(empty, "--out", tmp_path / "out", "--no-topics")
    assert result.exit_code == 0, text
    assert "no supported input files" in text


def test_missing_input_is_a_usage_error(tmp_path):
    result, text = _run(tmp_path / "absent", "--out", tmp_path / "out")
    assert result.exit_code == 2
    assert "input not found" in text


def test_malformed_codebook_is_a_configuration_error_naming_the_file(tmp_path, small_corpus):
    bad = tmp_path / "codes.yaml"
    bad.write_text("codes:\n  - id: x\n    label: [unclosed\n", encoding="utf-8")
    result, text = _run(small_corpus, "--out", tmp_path / "out", "--codebook", bad)
    assert result.exit_code == 2
    assert "codes.yaml" in text


def test_sidecar_naming_an_unknown_file_is_an_error_naming_the_row(tmp_path, small_corpus):
    meta = tmp_path / "meta.csv"
    meta.write_text("document,role\n2019_histoireDeBanlieue.txt,habitant\nabsent.txt,élu\n", encoding="utf-8")
    result, text = _run(small_corpus, "--out", tmp_path / "out", "--meta", meta)
    assert result.exit_code == 2
    assert "meta.csv" in text and "absent.txt" in text and "line 3" in text


def test_code_command_prints_codes_with_evidence():
    result = runner.invoke(app, ["code", "Les élus de la communauté de communes ont voté une subvention "
                                         "pour la SCIC du tiers-lieu."])
    assert result.exit_code == 0, result.output
    assert "pouvoirs_publics" in result.output and "élus" in result.output


def test_turning_points_command_gives_the_line_of_each_moment(shared_dir, tmp_path):
    """The check's input shape: one sentence per line, `Speaker : text`; every row's line holds
    its sentence, and a bad file is named without stopping the others."""
    story = shared_dir / "corpora/parisstories/2019_mauriceAventure.txt"
    (tmp_path / "stories").mkdir()
    dialogue = tmp_path / "stories" / "dialogue.txt"
    lines = ["Enquêteur : et comment vous êtes arrivée dans le quartier ?"] + [
        f"Ana : {line}" for line in story.read_text(encoding="utf-8").splitlines()]
    dialogue.write_text("\n".join(lines) + "\n", encoding="utf-8")
    (tmp_path / "stories" / "vide.txt").write_bytes(b"")
    result = runner.invoke(app, ["turning-points", "--tsv", str(tmp_path / "stories")])
    assert result.exit_code == 1  # one unreadable file
    out = result.output + (result.stderr if result.stderr_bytes is not None else "")
    assert "vide.txt" in out and "empty" in out
    rows = [r.split("\t") for r in result.stdout.splitlines()[1:] if r.startswith(str(dialogue))]
    assert 2 <= len(rows) <= 8
    for _, line, tp_type, _, score, _, text in rows:
        held = lines[int(line) - 1]
        assert held.startswith("Ana : ") and " ".join(text.split())[:40] in " ".join(held.split()), (line, text)
        assert float(score) > 0 and tp_type in {"rencontre", "rupture", "decision", "revelation", "resolution",
                                                "mobilite"}
    assert "1" not in {r[1] for r in rows}  # the interviewer's question is never a turning point
    # the narrator meets the girl who takes them to Mauritius: line 1 of the story, line 2 here
    assert "2" in {r[1] for r in rows}
