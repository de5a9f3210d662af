"""``summary.md``: the findings per theme for study authors, opening with what changed since the last run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from narratif.aggregate.narrative import MIAOU
from narratif.atomic import atomic_write_text
from narratif.report import validation
from narratif.report.formatting import Formatter, attribute_label, number, percent, signed

#: The heading of the « what changed » section (``changes_section`` finds it again).
CHANGES_HEADING = "## Ce qui a changé depuis le dernier run"

#: A theme's share "moved notably" when it changed by at least this many percentage points...
SHARE_POINTS = 2.0
#: ...or by at least this relative change (and one point).
SHARE_RELATIVE = 0.25


def changes(current: dict[str, Any], previous: dict[str, Any] | None, *, label=lambda x: x) -> list[str]:
    """Bullet lines describing what changed between two snapshots (empty list: nothing notable)."""
    if not previous:
        return ["Premier rapport pour ce dossier : pas de comparaison possible."]
    lines = []
    new_docs = sorted(set(current["doc_ids"]) - set(previous.get("doc_ids", [])))
    gone = sorted(set(previous.get("doc_ids", [])) - set(current["doc_ids"]))
    if new_docs:
        lines.append(f"{len(new_docs)} nouveau(x) document(s) : " + ", ".join(label(("doc", d)) for d in new_docs[:20])
                     + (" …" if len(new_docs) > 20 else ""))
    if gone:
        lines.append(f"{len(gone)} document(s) retiré(s) depuis le dernier run.")
    for theme, now in current["themes"].items():
        before = previous.get("themes", {}).get(theme)
        if not before:
            continue
        d = 100 * (now["share"] - before["share"])
        rel = abs(now["share"] - before["share"]) / before["share"] if before["share"] else (1.0 if now["share"] else 0)
        if abs(d) >= SHARE_POINTS or (abs(d) >= 1.0 and rel >= SHARE_RELATIVE):
            lines.append(f"Thème « {label(('code', theme))} » : {percent(before['share'])} → "
                         f"{percent(now['share'])} des segments ({signed(d)} points).")
    new_tp = sorted(set(current["turning_point_types"]) - set(previous.get("turning_point_types", {})))
    if new_tp:
        lines.append("Nouveaux types de tournants : " + ", ".join(label(("type", t)) for t in new_tp) + ".")
    cur_t, prev_t = set(current.get("topics", [])), set(previous.get("topics", []))
    if cur_t - prev_t:
        lines.append("Nouveaux topics : " + "; ".join(sorted(label(("topic", t)) for t in cur_t - prev_t)) + ".")
    if prev_t - cur_t:
        lines.append("Topics disparus : " + "; ".join(sorted(label(("topic", t)) for t in prev_t - cur_t)) + ".")
    return lines or ["Aucun changement notable depuis le dernier run."]


def _trend(theme: str, data) -> str:
    prev = (data.previous or {}).get("themes", {}).get(theme)
    if not prev:
        return "—"
    d = 100 * (data.totals["theme_shares"].get(theme, 0.0) - prev["share"])
    return f"{signed(d)} pt" if abs(d) >= 0.05 else "stable"


def changes_section(text: str) -> str:
    """The « what changed » section of a ``summary.md`` (heading included), or "" if it has none."""
    head, sep, rest = text.partition(CHANGES_HEADING)
    if not sep:
        return ""
    body = rest.split("\n## ", 1)[0]
    return (CHANGES_HEADING + body).strip()


def write_summary(data, path: Path) -> Path:
    fmt = Formatter(data.codebook)
    doc_labels = dict(zip(data.documents["doc_id"], data.documents["label"]))
    topic_pub = {}
    if data.topics is not None and "label" in data.topics.columns:
        topic_pub = dict(zip(sorted(data.snapshot["topics"]), sorted(map(str, data.topics["label"]))))

    def label(item):
        kind, value = item
        if kind == "doc":
            return doc_labels.get(value, value)
        if kind == "code":
            return data.label(value)
        if kind == "type":
            return fmt.type(value)
        return topic_pub.get(value, value) if data.pseudonymised else value

    tot = data.totals
    out = ["# Synthèse de l'analyse narrative", "",
           f"_{number(tot['n_documents'])} documents, {number(tot['n_words'])} mots, "
           f"{number(tot['n_segments'])} segments analysés, {number(tot['n_turning_points'])} tournants — "
           f"{data.generated_at}" + (" — pseudonymisé" if data.pseudonymised else "") + "_", "",
           CHANGES_HEADING, ""]
    out += [f"- {line}" for line in changes(data.snapshot, data.previous, label=label)]
    out += ["", "## Les six thèmes", "",
            "Part = segments codés avec le thème (ou un sous-thème) / segments analysés ; "
            "tendance = écart avec le run précédent.", "",
            "Part corrigée = estimation corrigée des erreurs du codage automatique d'après les unités "
            "revues par les analystes, avec son intervalle de confiance à 95 % (« non validé » sans revue).", "",
            "| Thème | Segments | Part brute | Part corrigée (IC 95 %) | Tendance |", "|---|---:|---:|---:|---|"]
    for theme, n in tot["theme_counts"].items():
        out.append(f"| {data.label(theme)} | {number(n)} | {percent(tot['theme_shares'][theme])} | "
                   f"{validation.summary_cell(data, theme)} | {_trend(theme, data)} |")
    for theme, n in tot["theme_counts"].items():
        out += ["", f"### {data.label(theme)}", "",
                f"{number(n)} segments ({percent(tot['theme_shares'][theme])}), tendance : {_trend(theme, data)}.", "",
                validation.summary_line(data, theme)]
        spec = data.tables["code_by_group"]
        if not spec.empty:
            top = spec[(spec["code"] == theme) & (spec["specificity"] >= 2)].sort_values("specificity", ascending=False)
            top = validation.supported_groups(data, theme, top)
            if not top.empty:
                out.append("Sur-représenté chez : " + ", ".join(
                    f"{attribute_label(r.attribute).lower()} = {fmt.group(r.attribute, r.group)} "
                    f"(spécificité {signed(r.specificity)})" for r in top.head(3).itertuples()) + ".")
        quotes = data.theme_quotes.get(theme) or []
        out += [""] + ([f"> {q}" + "\n" for q in quotes] or ["_Aucun extrait : thème non codé dans ce corpus._"])
    grid = data.tables["miaou_grid"]
    out += ["", "## Grille MIAOU (les trois premiers de chaque catégorie)", ""]
    if grid.empty:
        out.append("_Aucun problème, levier, rencontre ni moment clé repéré._")
    for cat, heading in MIAOU.items():
        g = grid[grid["category"] == cat].head(3) if not grid.empty else grid
        if g.empty:
            continue
        out.append(f"**{heading}** : " + " ; ".join(f"{fmt.item_label(r.item_label)} ({number(r.n_stories)} récits)"
                                                    for r in g.itertuples()))
        out.append("")
    ng = data.tables["turning_point_ngrams"]
    if not ng.empty:
        out += ["## Séquences de tournants fréquentes", ""]
        out += [f"- {fmt.sequence(r.ngram)} : {number(r.n_narrators)} récits" for r in ng.head(5).itertuples()]
    text = "\n".join(out).rstrip() + "\n"
    atomic_write_text(path, text)
    return path
