"""Validation samples, verdict import and bias-corrected shares (narratif.validation)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from narratif.codebook import load_codebook
from narratif.store import Store
from narratif.validation import (
    CSV_COLUMNS, ESTIMATE_COLUMNS, CodeEstimator, VerdictFileError, draw_sample, estimates_table, import_verdicts,
    plan, units_for_width, wilson,
)
from narratif.validation.estimate import merge_levels
from narratif.validation.sample import allocate, inclusion_probabilities
from narratif.validation.units import load_frame
from report_fixtures import build_store, cfpp_files

pytestmark = pytest.mark.slow  # loads the French model or runs the pipeline (make test-fast skips it)

CFPP = ["Mira_F_88_14e-v2.txt", "Andre_Morange_H_58_Mo-v2.txt", "Anita_MUSSO_F_46_11e-v2.txt"]


# -- the estimator on synthetic populations with a known truth ----------------------------
def _population(seed: int, N: int):
    """Levels of an imperfect coder and the truth: the coder over-codes (precision 0.6 on its
    top code, 0.25 on the others) and misses some (5-8 % of the rest carry the code)."""
    rng = np.random.default_rng(seed)
    level = rng.choice([3, 2, 1, 0], size=N, p=[0.2, 0.15, 0.4, 0.25])
    p_true = np.select([level == 3, level == 2, level == 1], [0.6, 0.25, 0.08], 0.05)
    y = (rng.random(N) < p_true).astype(float)
    stratum = np.where(level == 3, "top", np.where(level >= 1, "other", "none"))
    return level, y, stratum


def _stratified(rng, stratum: np.ndarray, n: int) -> np.ndarray:
    """Weights 1/π of a √N-allocated stratified sample (NaN: not drawn)."""
    sizes = pd.Series(stratum).value_counts().sort_index()
    alloc = allocate(sizes, n)
    w = np.full(len(stratum), np.nan)
    for h, k in alloc.items():
        pool = np.flatnonzero(stratum == h)
        w[rng.choice(pool, size=int(k), replace=False)] = len(pool) / k
    return w


def test_intervals_cover_the_true_share_about_95_percent():
    level, y, stratum = _population(0, 400)
    truth, raw = y.mean(), (level >= 2).mean()
    cover, err = 0, []
    for seed in range(300):
        w = _stratified(np.random.default_rng(seed + 1), stratum, 60)
        est = CodeEstimator(level, np.where(np.isfinite(w), y, np.nan), w, stratum).estimate()
        cover += est.ci_low <= truth <= est.ci_high
        err.append(abs(est.share - truth))
    assert 0.89 <= cover / 300 <= 0.99
    assert np.mean(err) < 0.5 * abs(raw - truth)  # the raw share is off by ~0.15 here


def test_a_census_gives_the_exact_share_and_a_zero_width_interval():
    level, y, stratum = _population(1, 120)
    est = CodeEstimator(level, y, np.ones(len(y)), stratum).estimate()
    assert est.share == pytest.approx(y.mean())
    assert est.ci_high - est.ci_low == pytest.approx(0.0, abs=1e-12)
    assert est.n_reviewed == 120


def test_corpus_share_is_predicted_count_times_precision_plus_missed_units():
    # 10 units of each level; every level has enough reviewed units to stand alone
    level = np.repeat([3, 2, 1, 0], 10)
    y = np.full(40, np.nan)
    y[0:6], y[10:16], y[20:26], y[30:36] = [1, 1, 1, 0, 1, 1], [1, 0, 0, 1, 0, 1], [0, 0, 1, 0, 0, 0], [0] * 6
    est = CodeEstimator(level, y, np.ones(40), np.zeros(40, dtype=int)).estimate()
    expected = (10 * 5 / 6 + 10 * 3 / 6 + 10 * 1 / 6 + 0) / 40
    assert est.share == pytest.approx(expected)
    assert est.precision == pytest.approx(8 / 12)
    assert est.recall == pytest.approx(8 / 12 * 20 / (expected * 40))


def test_unequal_inclusion_probabilities_are_weighted_out():
    """Oversampling the coded units must not bias the corrected share (it would bias a plain mean)."""
    level, y, _ = _population(2, 600)
    strat = np.where(level >= 2, "coded", "rest")
    shares, naive = [], []
    for seed in range(200):
        rng = np.random.default_rng(seed)
        w = np.full(600, np.nan)
        for h, k in (("coded", 40), ("rest", 20)):
            pool = np.flatnonzero(strat == h)
            w[rng.choice(pool, size=k, replace=False)] = len(pool) / k
        est = CodeEstimator(level, np.where(np.isfinite(w), y, np.nan), w, strat).estimate()
        shares.append(est.share)
        naive.append(np.nanmean(np.where(np.isfinite(w), y, np.nan)))
    assert abs(np.mean(shares) - y.mean()) < 0.01
    assert abs(np.mean(naive) - y.mean()) > 0.05


def test_small_prediction_levels_are_merged_and_a_flawless_sample_keeps_some_uncertainty():
    level = np.array([3] * 30 + [2] * 3 + [0] * 30)
    reviewed = np.zeros(63, dtype=bool)
    reviewed[[0, 1, 2, 3, 4, 5, 30, 31, 40, 41, 42, 43, 44, 45]] = True
    cell = merge_levels(level, reviewed)
    assert cell[30] == cell[0] and cell[40] != cell[0]  # the 2 reviewed "applied" joined the top level
    y = np.where(reviewed, (level >= 2).astype(float), np.nan)  # the coder never erred on the sample
    est = CodeEstimator(level, y, np.where(reviewed, 63 / 14, np.nan), np.zeros(63)).estimate()
    assert est.ci_high - est.ci_low > 0.05


def test_wilson_and_planning():
    lo, hi = wilson(0.5, 100)
    assert lo == pytest.approx(0.404, abs=0.001) and hi == pytest.approx(0.596, abs=0.001)
    level, y, stratum = _population(3, 400)
    w = _stratified(np.random.default_rng(9), stratum, 40)
    est = CodeEstimator(level, np.where(np.isfinite(w), y, np.nan), w, stratum).estimate()
    width = est.ci_high - est.ci_low
    assert units_for_width(est, width / 2, 400) > 2.5 * est.n_reviewed
    assert 380 < units_for_width(est, 0.01, 400) <= 400  # a narrow interval needs nearly a census


# -- on a store built from real transcripts ----------------------------------------------
@pytest.fixture()
def out(tmp_path, shared_dir):
    book = load_codebook()
    d = tmp_path / "out"
    build_store(d, cfpp_files(shared_dir, CFPP), book).close()
    return d


def _read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def _fill(rows: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """An analyst who mostly agrees with narratif and sometimes does not."""
    rng = np.random.default_rng(seed)
    flip = rng.random(len(rows)) < 0.15
    return rows.assign(verdict=[str(1 - int(p)) if f else p for p, f in zip(rows["predicted"], flip)])


def test_draw_writes_the_csv_contract_and_records_the_design(out):
    book = load_codebook()
    r = draw_sample(out, 40, seed=3)
    rows = _read_csv(r.files["csv"])
    assert list(rows.columns) == CSV_COLUMNS == ["unit_id", "document", "text", "code", "predicted", "verdict"]
    assert rows["unit_id"].nunique() == 40
    wanted = [*book.theme_ids, *book.ids("miaou", top_level=True)]
    assert all(list(g["code"]) == wanted for _, g in rows.groupby("unit_id"))
    assert set(rows["predicted"]) <= {"0", "1"} and (rows["verdict"] == "").all()
    with Store(out) as store:
        frame = load_frame(store, book, "segment")
        units = store.validation_table("validation_units")
        sample = store.validation_table("validation_samples").iloc[0]
        coded = store.table("codings")
    # predicted = the code or one of its sub-codes is coded on the segment
    one = rows[rows["predicted"] == "1"].iloc[0]
    seg = units.set_index("unit_id").at[one["unit_id"], "seg_id"]
    doc = units.set_index("unit_id").at[one["unit_id"], "doc_id"]
    here = coded[(coded["doc_id"] == doc) & (coded["seg_id"] == seg)]["code"]
    assert any(c == one["code"] or c.startswith(one["code"] + ".") for c in here)
    design = json.loads(sample["design"])
    assert sum(k for _, k in design.values()) == 40 and sum(N for N, _ in design.values()) == len(frame)
    # Σ 1/π over a stratum's sampled units = the stratum's size
    for h, (N, k) in design.items():
        assert units.loc[units["stratum"] == h, "probability"].rdiv(1).sum() == pytest.approx(N)
    from openpyxl import load_workbook

    ws = load_workbook(r.files["xlsx"]).active
    assert [c.value for c in ws[1]][:6] == CSV_COLUMNS
    assert any('"1,0"' in (dv.formula1 or "") for dv in ws.data_validations.dataValidation)


def test_import_fills_the_estimates_table(out):
    r = draw_sample(out, 50, seed=4)
    reviewed = out / "reviewed.csv"
    _fill(_read_csv(r.files["csv"])).to_csv(reviewed, index=False)
    result = import_verdicts(out, reviewed, reports=False)
    assert result.n_units == 50 and result.n_blank == 0
    with Store(out) as store:
        est = store.table("estimates")
    assert list(est.columns)[:11] == ["code", "attribute", "group_value", "raw_share", "share", "ci_low", "ci_high",
                                      "n_units", "n_reviewed", "precision", "recall"]
    assert list(est.columns) == ESTIMATE_COLUMNS
    themes = est[(est["attribute"] == "all") & (est["category"] == "themes")]
    assert len(themes) == 6 and (themes["group_value"] == "all").all() and (themes["n_reviewed"] == 50).all()
    assert ((themes["ci_low"] <= themes["share"]) & (themes["share"] <= themes["ci_high"])).all()
    assert themes["precision"].between(0, 1).all()
    tps = est[est["category"] == "turning_points"]
    assert tps["share"].isna().all() and tps["raw_share"].notna().all()  # no sentence reviewed: not validated
    groups = est[(est["attribute"] == "gender") & (est["category"] == "themes")]
    assert set(groups["group_value"]) == {"F", "H"}


@pytest.mark.parametrize("edit, where", [
    (lambda df: df.assign(verdict=["oui"] + list(df["verdict"][1:])), "row 2, column verdict"),
    (lambda df: df.assign(unit_id=list(df["unit_id"][:3]) + ["seg-0000000000000000"] + list(df["unit_id"][4:])),
     "row 5, column unit_id"),
    (lambda df: df.rename(columns={"verdict": "avis"}), "row 1 (header)"),
    (lambda df: df.assign(predicted=["1" if p == "0" else "0" for p in df["predicted"][:1]] + list(df["predicted"][1:])),
     "row 2, column predicted"),
    (lambda df: df.assign(code=list(df["code"][:2]) + ["dimension_inconnue"] + list(df["code"][3:])),
     "row 4, column code"),
])
def test_a_bad_verdict_file_is_refused_whole(out, edit, where):
    r = draw_sample(out, 10, seed=5)
    rows = _fill(_read_csv(r.files["csv"]))
    bad = out / "bad.csv"
    edit(rows).to_csv(bad, index=False)
    with pytest.raises(VerdictFileError) as exc:
        import_verdicts(out, bad, reports=False)
    assert str(bad) in str(exc.value) and where in str(exc.value)
    with Store(out) as store:
        assert store.validation_table("validation_verdicts").empty  # nothing recorded from that file


def test_a_bad_value_in_a_spreadsheet_names_its_row(out):
    from openpyxl import load_workbook

    r = draw_sample(out, 5, seed=6)
    wb = load_workbook(r.files["xlsx"])
    wb.active["F4"] = 2
    wb.save(out / "bad.xlsx")
    with pytest.raises(VerdictFileError, match=r"bad\.xlsx: nothing recorded.*row 4, column verdict"):
        import_verdicts(out, out / "bad.xlsx", reports=False)


def test_verdicts_outlive_reruns_and_corrected_files(out, shared_dir, tmp_path):
    book = load_codebook()
    r = draw_sample(out, 40, seed=7)
    rows = _fill(_read_csv(r.files["csv"]))
    rows.to_csv(out / "rev.csv", index=False)
    import_verdicts(out, out / "rev.csv", reports=False)
    with Store(out) as store:
        before = estimates_table(store, book)
    # a rerun re-writes every document: the verdicts and the estimates stay
    build_store(out, cfpp_files(shared_dir, CFPP), book).close()
    with Store(out) as store:
        after = estimates_table(store, book)
        assert len(store.validation_table("validation_verdicts")) == len(rows)
    pd.testing.assert_frame_equal(before, after)
    # a corrected transcript: only the sampled turns whose words changed lose their verdicts
    units = _read_csv(r.files["csv"]).drop_duplicates("unit_id")
    mira = units[units["document"] == CFPP[0]].iloc[0]
    src = shared_dir / "corpora" / "cfpp2000" / CFPP[0]
    fixed = tmp_path / "fixed" / CFPP[0]
    fixed.parent.mkdir()
    fixed.write_text(src.read_text(encoding="utf-8").replace(mira["text"].strip(), mira["text"].strip() + " voilà", 1),
                     encoding="utf-8")
    with Store(out) as store:
        old = store.doc_ids_for_path(str(src))
    from narratif.ingest import ingest_file
    from report_fixtures import rule_analysis

    attrs = cfpp_files(shared_dir, CFPP)[0][1]
    doc = ingest_file(fixed, dict(attrs))
    doc.path = str(src)  # the same file, corrected in place
    with Store(out) as store:
        store.write_document(doc, rule_analysis(doc, book), "test", replaces=old)
        est = estimates_table(store, book)
    n_mira = int((units["document"] == CFPP[0]).sum())
    theme = est[(est["code"] == "habitants") & (est["attribute"] == "all")].iloc[0]
    assert theme["n_reviewed"] == 40 - 1 and n_mira > 1


def test_training_units_never_enter_the_estimates(out):
    book = load_codebook()
    t = draw_sample(out, 15, purpose="training", seed=8)
    _fill(_read_csv(t.files["csv"]), seed=1).to_csv(out / "train.csv", index=False)
    res = import_verdicts(out, out / "train.csv", reports=False)
    assert res.training_csv is not None
    train = pd.read_csv(res.training_csv)
    assert list(train.columns) == ["text", "code", "accepted"] and len(train) == 15 * 10
    with Store(out) as store:
        est = estimates_table(store, book)
    assert est["share"].isna().all() and (est["n_reviewed"] == 0).all()
    e = draw_sample(out, 30, seed=9)
    _fill(_read_csv(e.files["csv"])).to_csv(out / "est.csv", index=False)
    import_verdicts(out, out / "est.csv", reports=False)
    with Store(out) as store:
        est = estimates_table(store, book)
    assert (est.loc[est["attribute"] == "all", "n_reviewed"].isin([0, 30])).all()
    assert len(pd.read_csv(out / "validation" / "training.csv")) == 15 * 10  # estimation verdicts stay out


def test_a_second_sample_adds_to_the_first_with_exact_weights(out):
    book = load_codebook()
    draw_sample(out, 20, seed=10)
    draw_sample(out, 25, seed=11)
    with Store(out) as store:
        frame = load_frame(store, book, "segment")
        samples = store.validation_table("validation_samples")
        units = store.validation_table("validation_units")
    assert units["unit_id"].is_unique  # the second sample avoids the first's units
    pi = inclusion_probabilities(frame, samples)
    top = frame.units["top"].to_numpy()
    sampled = frame.units["unit_id"].isin(units["unit_id"]).to_numpy()
    for h in np.unique(top):
        in_h = top == h
        assert pi[in_h] == pytest.approx(np.full(in_h.sum(), sampled[in_h].sum() / in_h.sum()))


def test_a_reviewed_qdpx_records_only_units_marked_as_reviewed(out):
    from lxml import etree

    r = draw_sample(out, 6, seed=12)
    with zipfile.ZipFile(r.files["qdpx"]) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    root = etree.fromstring(members["project.qde"])
    ns = {"q": "urn:QDA-XML:project:1.0"}
    marker = root.xpath("//q:Code[@name='Validation : non revu']/@guid", namespaces=ns)[0]
    habitants = root.xpath("//q:Code[starts-with(@name, 'Implication des habitants')]/@guid", namespaces=ns)[0]
    source = root.xpath("//q:TextSource", namespaces=ns)[0]
    sel = source.xpath("q:PlainTextSelection", namespaces=ns)[0]
    for coding in sel.xpath("q:Coding", namespaces=ns):  # the analyst keeps only « habitants »
        sel.remove(coding)
    coding = etree.SubElement(sel, "{urn:QDA-XML:project:1.0}Coding", guid="9b4f3c1e-0000-4000-8000-000000000001")
    etree.SubElement(coding, "{urn:QDA-XML:project:1.0}CodeRef", targetGUID=habitants)
    members["project.qde"] = etree.tostring(root, xml_declaration=True, encoding="utf-8")
    reviewed = out / "reviewed.qdpx"
    with zipfile.ZipFile(reviewed, "w") as zf:
        for n, b in members.items():
            zf.writestr(n, b)
    assert marker
    res = import_verdicts(out, reviewed, reports=False)
    with Store(out) as store:
        v = store.validation_table("validation_verdicts")
    assert res.n_units == 1 and len(v) == 10 and v["unit_id"].nunique() == 1
    assert dict(zip(v["code"], v["verdict"]))["habitants"] == 1 and v["verdict"].sum() == 1


def test_reports_and_cli(out, tmp_path):
    from typer.testing import CliRunner

    from narratif.cli import app
    from narratif.report import write_reports

    book = load_codebook()
    with Store(out) as store:
        write_reports(store, out, codebook=book)
    assert "non validé" in (out / "summary.md").read_text(encoding="utf-8").lower()
    runner = CliRunner()
    res = runner.invoke(app, ["validate", "draw", str(out), "--n", "30", "--seed", "13"])
    assert res.exit_code == 0, res.output
    rows = _fill(_read_csv(out / "validation" / "validation-001.csv"))
    rows.iloc[:10].assign(verdict="peut-être").to_csv(tmp_path / "bad.csv", index=False)
    res = runner.invoke(app, ["validate", "import", str(out), str(tmp_path / "bad.csv")])
    assert res.exit_code == 2 and "row 2, column verdict" in res.output
    rows.to_csv(tmp_path / "ok.csv", index=False)
    res = runner.invoke(app, ["validate", "import", str(out), str(tmp_path / "ok.csv")])
    assert res.exit_code == 0, res.output
    summary = (out / "summary.md").read_text(encoding="utf-8")
    assert "Validé sur 30 unités : précision" in summary and "Part corrigée (IC 95 %)" in summary
    html = (out / "report.html").read_text(encoding="utf-8")
    assert 'id="validation"' in html and "Part corrigée (IC 95 %)" in html
    from openpyxl import load_workbook

    assert "estimates" in load_workbook(out / "analysis.xlsx", read_only=True).sheetnames
    res = runner.invoke(app, ["validate", "plan", str(out), "--width", "0.08"])
    assert res.exit_code == 0 and "more units" in res.output
    lines = plan(out, 0.08)
    assert all(ln.needed is None or ln.needed >= 30 for ln in lines)


def test_a_spreadsheet_saved_as_semicolon_csv_in_windows_encoding_imports(out):
    """What Excel in French writes when told « CSV »: ';' separators, cp1252, the extra columns."""
    r = draw_sample(out, 8, seed=14)
    from openpyxl import load_workbook

    ws = load_workbook(r.files["xlsx"]).active
    rows = pd.DataFrame(list(ws.iter_rows(min_row=2, values_only=True)), columns=[c.value for c in ws[1]])
    rows["verdict"] = rows["predicted"]
    rows.to_csv(out / "excel.csv", sep=";", index=False, encoding="cp1252", errors="replace")
    res = import_verdicts(out, out / "excel.csv", reports=False)
    assert res.n_units == 8 and res.n_verdicts == 80
