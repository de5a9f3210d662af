"""The collective narrative of a group and the MIAOU observation grid.

A *collectif* (documents sharing the ``collectif`` attribute: one territory's
monograph plus its stakeholders' interviews) is read as one story told by several
voices: a merged timeline of dated events and turning points with who tells each,
the balance of past / present / future talk per role, themes many roles share
versus themes carried by one voice, and periods that roles read differently.
The MIAOU grid ranks problems, levers, meetings and key moments across stories.
Every quote carries its provenance (document, speaker, timestamp or page).
"""

from __future__ import annotations

import math
import re
from typing import Any

import pandas as pd

#: MIAOU categories, in the order of the grid, with their French headings.
MIAOU = {"probleme": "Problèmes", "levier": "Leviers", "rencontre": "Rencontres décisives",
         "moment_cle": "Moments clés"}
_MARKUP = re.compile(r"\s*\[[^\]\n]{1,30}\]\s*")
_SPACE = re.compile(r"\s+")
NO_THEME = "(sans thème identifié)"


# --- quotes -------------------------------------------------------------------------------
class QuoteFinder:
    """Short quotes with provenance, taken from stored sentences and segments."""

    def __init__(self, documents: pd.DataFrame, segments: pd.DataFrame, sentences: pd.DataFrame,
                 *, max_chars: int = 280):
        self.max_chars = max_chars
        self._labels = dict(zip(documents["doc_id"], documents["label"]))
        seg = segments.set_index(["doc_id", "seg_id"])
        self._seg = seg[[c for c in ("text", "speaker", "timestamp", "page", "role") if c in seg.columns]]
        self._sentences = sentences
        self._by_seg = sentences.groupby(["doc_id", "seg_id"]).indices if not sentences.empty else {}
        self._by_sent = (dict(zip(zip(sentences["doc_id"], sentences["sent_id"]), range(len(sentences))))
                         if not sentences.empty else {})

    def seg_of(self, doc_id: str, sent_id: int) -> int | None:
        i = self._by_sent.get((doc_id, sent_id))
        return None if i is None else int(self._sentences["seg_id"].iat[i])

    def sentence(self, doc_id: str, sent_id: int) -> str | None:
        i = self._by_sent.get((doc_id, sent_id))
        return None if i is None else self._sentences["text"].iat[i]

    def reference(self, doc_id: str, seg_id: int) -> str:
        """"document, speaker, hh:mm:ss" or "document, p. N"."""
        parts = [self._labels.get(doc_id, doc_id)]
        try:
            row = self._seg.loc[(doc_id, int(seg_id))]
        except KeyError:
            return parts[0]
        if isinstance(row, pd.DataFrame):
            row = row.iloc[0]
        if _present(row.get("speaker")):
            parts.append(str(row["speaker"]))
        if _present(row.get("timestamp")):
            parts.append(str(row["timestamp"]))
        elif _present(row.get("page")):
            parts.append(f"p. {int(row['page'])}")
        else:
            parts.append(f"§ {int(seg_id) + 1}")
        return ", ".join(parts)

    def quote(self, doc_id: str, seg_id: int, *, sent_id: int | None = None, hint: str | None = None) -> dict:
        """The sentence (given, or the one best matching ``hint`` words) of a segment, trimmed."""
        text = None
        if sent_id is not None and sent_id >= 0:
            text = self.sentence(doc_id, sent_id)
        if text is None:
            idx = self._by_seg.get((doc_id, int(seg_id)))
            if idx is not None and len(idx):
                cands = [self._sentences["text"].iat[i] for i in idx]
                words = [w for w in re.findall(r"\w{4,}", (hint or "").lower()) if w not in {"mots", "cue"}]
                text = max(cands, key=lambda s: (sum(w in s.lower() for w in words), min(len(s), 200)))
            else:
                try:
                    text = self._seg.loc[(doc_id, int(seg_id))]["text"]
                except KeyError:
                    text = ""
                if isinstance(text, pd.Series):
                    text = text.iloc[0]
        return {"text": self.trim(str(text or "")), "ref": self.reference(doc_id, seg_id)}

    def trim(self, text: str) -> str:
        text = _SPACE.sub(" ", _MARKUP.sub(" ", text)).strip()
        if len(text) <= self.max_chars:
            return text
        cut = text[: self.max_chars].rsplit(" ", 1)[0]
        return cut + " […]"


def _present(v: Any) -> bool:
    return v is not None and not (isinstance(v, float) and math.isnan(v)) and str(v) != "" and v is not pd.NA


def format_quote(q: dict) -> str:
    return f"« {q['text']} » ({q['ref']})"


# --- MIAOU grid -----------------------------------------------------------------------------
def _item_codes(codebook) -> set[str]:
    """Codes that say *what* a problem or lever is about: themes and levers (top level)."""
    if codebook is None:
        return set()
    return {c.id for c in codebook.codes if c.parent is None and c.category in ("themes", "levers")}


def _label_of(codebook, code: str) -> str:
    if codebook is not None and code in codebook:
        return codebook.get(code).label
    return code


def miaou_grid(coded: pd.DataFrame, tps: pd.DataFrame, docs: pd.DataFrame, quotes: QuoteFinder,
               codebook=None, *, group_attributes: list[str] = (), n_quotes: int = 3) -> pd.DataFrame:
    """Problems, levers, meetings and key moments ranked across stories, with groups and quotes.

    A mention is a segment coded with a MIAOU code, or a turning point (obstacle →
    problem, lever → lever, meeting → meeting, other types → key moment). Its *item* is
    each theme or lever code of the same segment, so the grid reads "problems about
    economic models: told in 7 stories".
    """
    cols = ["category", "category_label", "rank", "item", "item_label", "n_mentions", "n_stories",
            "groups", "quotes"]
    items = _item_codes(codebook)
    seg_items = (coded[coded["code"].isin(items)].groupby(["doc_id", "seg_id"])["code"].agg(list).to_dict()
                 if not coded.empty else {})
    mentions = []
    if not coded.empty:
        m = coded[coded["code"].isin(list(MIAOU))]
        for r in m.itertuples(index=False):
            mentions.append((r.code, r.doc_id, int(r.seg_id), -1, float(r.score), None))
    if not tps.empty:
        for r in tps.itertuples(index=False):
            cat = ("probleme" if r.polarity == "obstacle" else "levier" if r.polarity == "levier"
                   else "rencontre" if r.type == "rencontre" else "moment_cle")
            mentions.append((cat, r.doc_id, int(r.seg_id), int(r.sent_id), float(r.score), r.type))
    if not mentions:
        return pd.DataFrame(columns=cols)
    rows = []
    for cat, doc_id, seg_id, sent_id, score, tp_type in mentions:
        its = seg_items.get((doc_id, seg_id)) or ([f"tournant:{tp_type}"] if tp_type else [NO_THEME])
        for it in its:
            rows.append((cat, it, doc_id, seg_id, sent_id, score))
    men = pd.DataFrame(rows, columns=["category", "item", "doc_id", "seg_id", "sent_id", "score"])
    men = men.sort_values(["score", "sent_id"], ascending=[False, False]).drop_duplicates(
        ["category", "item", "doc_id", "seg_id"])
    men = men.merge(docs[["doc_id", *group_attributes]], on="doc_id", how="left")
    out, mentioned = [], {}
    for (cat, item), g in men.groupby(["category", "item"], sort=False):
        groups = []
        for attr in group_attributes:
            vals = sorted(g[attr].dropna().astype(str).unique())
            if vals:
                groups.append(f"{attr} : {', '.join(vals)}")
        label = (f"tournant : {item.split(':', 1)[1]}" if item.startswith("tournant:")
                 else _label_of(codebook, item))
        mentioned[(cat, item)] = [(r.doc_id, r.seg_id, r.sent_id) for r in g.itertuples()]  # best first
        out.append((cat, MIAOU[cat], item, label, len(g), g["doc_id"].nunique(), " ; ".join(groups), ""))
    grid = pd.DataFrame(out, columns=[c for c in cols if c != "rank"])
    grid["_order"] = grid["category"].map({k: i for i, k in enumerate(MIAOU)})
    grid = grid.sort_values(["_order", "n_stories", "n_mentions", "item_label"],
                            ascending=[True, False, False, True])
    grid["rank"] = grid.groupby("category").cumcount() + 1
    used: dict[str, str] = {}  # the grid is one section: a quote stands in one row only

    def quote_of(doc_id, seg_id, sent_id):
        return format_quote(quotes.quote(doc_id, seg_id, sent_id=sent_id))

    grid["quotes"] = ["\n".join(distinct_quotes(mentioned[(cat, item)], quote_of, used, n_quotes,
                                                place=f"{heading}, rang {rank}", refer=_already_quoted))
                      for cat, item, heading, rank in zip(grid["category"], grid["item"], grid["category_label"],
                                                          grid["rank"])]
    return grid[cols].reset_index(drop=True)


def _already_quoted(place: str) -> str:
    return f"(même extrait que {place})"


def distinct_quotes(candidates, quote_of, used: dict, n: int, *, key=lambda q: q, place: str = "",
                    refer=None) -> list:
    """Up to ``n`` quotes of ``candidates`` ((doc_id, ...) tuples, best first; one per document, made by
    ``quote_of(*candidate)`` as needed), skipping those whose ``key`` is in ``used`` (the section's
    quotes so far, each with the ``place`` it stands in; updated). A row whose candidates are all
    used gets ``refer(place_of_the_best)`` (a pointer to it), or without ``refer`` the best quote again."""
    picked, fallback, docs = [], None, set()
    for cand in candidates:
        if len(picked) >= n:
            break
        if cand[0] in docs:
            continue
        q = quote_of(*cand)
        if key(q) in used or any(key(p) == key(q) for p in picked):
            fallback = fallback if fallback is not None else q
            continue
        picked.append(q)
        docs.add(cand[0])
    if not picked and fallback is not None:
        return [refer(used[key(fallback)])] if refer is not None and key(fallback) in used else [fallback]
    for q in picked:
        used[key(q)] = place
    return picked


# --- collective narrative -------------------------------------------------------------------
def _voices(docs: pd.DataFrame, attr: str = "role") -> dict[str, str]:
    if attr in docs.columns:
        return {d: (str(r) if _present(r) else lab) for d, r, lab in zip(docs["doc_id"], docs[attr], docs["label"])}
    return dict(zip(docs["doc_id"], docs["label"]))


def collective_timeline(docs: pd.DataFrame, timeline: pd.DataFrame, tps: pd.DataFrame, coded: pd.DataFrame,
                        quotes: QuoteFinder, codebook=None, *, group: str = "collectif") -> pd.DataFrame:
    """One dated timeline per collectif merging every voice's events and turning points."""
    cols = ["collectif", "year", "role", "doc_id", "source", "type", "polarity", "themes", "text", "ref"]
    if group not in docs.columns:
        return pd.DataFrame(columns=cols)
    members = docs[docs[group].notna()]
    coll = dict(zip(members["doc_id"], members[group].astype(str)))
    voice = _voices(members)
    themes_of = _segment_themes(coded, codebook)
    rows, seen = [], set()
    if not tps.empty:
        for r in tps[tps["doc_id"].isin(coll) & tps["year"].notna()].itertuples(index=False):
            key = (r.doc_id, int(r.sent_id), int(r.year))
            seen.add(key)
            rows.append((coll[r.doc_id], int(r.year), voice[r.doc_id], r.doc_id, "tournant", r.type, r.polarity,
                         themes_of.get((r.doc_id, int(r.seg_id)), ""),
                         quotes.trim(r.text), quotes.reference(r.doc_id, r.seg_id)))
    if not timeline.empty:
        t = timeline[timeline["doc_id"].isin(coll) & timeline["year"].notna()]
        for r in t.itertuples(index=False):
            key = (r.doc_id, int(r.sent_id), int(r.year))
            if key in seen:
                continue
            seen.add(key)
            seg_id = quotes.seg_of(r.doc_id, int(r.sent_id))
            text = quotes.sentence(r.doc_id, int(r.sent_id)) or r.expression
            rows.append((coll[r.doc_id], int(r.year), voice[r.doc_id], r.doc_id, "date", r.kind, None,
                         themes_of.get((r.doc_id, seg_id), "") if seg_id is not None else "",
                         quotes.trim(text), quotes.reference(r.doc_id, seg_id if seg_id is not None else -1)))
    out = pd.DataFrame(rows, columns=cols)
    return out.sort_values(["collectif", "year", "role"], kind="stable").reset_index(drop=True)


def _segment_themes(coded: pd.DataFrame, codebook=None) -> dict[tuple[str, int], str]:
    if coded.empty:
        return {}
    keep = _item_codes(codebook) or set(coded["code"])
    c = coded[coded["code"].isin(keep)]
    return c.groupby(["doc_id", "seg_id"])["code"].agg(lambda s: ", ".join(sorted(s))).to_dict()


def collective_orientation(docs: pd.DataFrame, timeline: pd.DataFrame, *, group: str = "collectif") -> pd.DataFrame:
    """Past / present / future balance of dated talk, per collectif and role."""
    cols = ["collectif", "role", "past", "present", "future", "share_past", "share_present", "share_future"]
    if group not in docs.columns or timeline.empty:
        return pd.DataFrame(columns=cols)
    members = docs[docs[group].notna()]
    voice = _voices(members)
    t = timeline[timeline["doc_id"].isin(voice)].drop_duplicates(["doc_id", "sent_id"])
    if t.empty:
        return pd.DataFrame(columns=cols)
    t = t.assign(collectif=t["doc_id"].map(dict(zip(members["doc_id"], members[group].astype(str)))),
                 role=t["doc_id"].map(voice))
    ct = pd.crosstab([t["collectif"], t["role"]], t["orientation"])
    ct = ct.reindex(columns=["past", "present", "future"], fill_value=0)
    tot = ct.sum(axis=1).where(lambda s: s > 0)
    for o in ("past", "present", "future"):
        ct[f"share_{o}"] = ct[o] / tot
    return ct.reset_index()[cols]


def collective_themes(docs: pd.DataFrame, coded: pd.DataFrame, codebook=None, *,
                      group: str = "collectif") -> pd.DataFrame:
    """Themes shared by many roles of a collectif versus themes carried by a single voice."""
    cols = ["collectif", "code", "label", "n_roles", "roles_total", "roles", "n_docs", "n_segments", "voice"]
    if group not in docs.columns or coded.empty:
        return pd.DataFrame(columns=cols)
    members = docs[docs[group].notna()]
    voice = _voices(members)
    keep = {c.id for c in codebook.codes if c.parent is None and c.category != "miaou"} if codebook else None
    c = coded[coded["doc_id"].isin(voice) & (coded["code"].isin(keep) if keep else True)]
    if c.empty:
        return pd.DataFrame(columns=cols)
    c = c.assign(collectif=c["doc_id"].map(dict(zip(members["doc_id"], members[group].astype(str)))),
                 role=c["doc_id"].map(voice))
    roles_total = members.assign(role=members["doc_id"].map(voice)).groupby(
        members[group].astype(str))["role"].nunique()
    out = c.groupby(["collectif", "code"]).agg(n_roles=("role", "nunique"),
                                               roles=("role", lambda s: ", ".join(sorted(set(s)))),
                                               n_docs=("doc_id", "nunique"), n_segments=("seg_id", "size"))
    out = out.reset_index()
    out["roles_total"] = out["collectif"].map(roles_total)
    out["label"] = [_label_of(codebook, x) for x in out["code"]]
    out["voice"] = ["voix unique" if n == 1 else "partagé" if n >= max(2, tot / 2) else "quelques voix"
                    for n, tot in zip(out["n_roles"], out["roles_total"])]
    return out.sort_values(["collectif", "n_roles", "n_segments"], ascending=[True, False, False])[cols] \
        .reset_index(drop=True)


def collective_divergences(ctimeline: pd.DataFrame, *, period_years: int = 5, max_per_period: int = 4
                           ) -> pd.DataFrame:
    """Periods that roles read differently: opposite polarity, or no theme in common."""
    cols = ["collectif", "period", "kind", "role_a", "reading_a", "quote_a", "role_b", "reading_b", "quote_b"]
    if ctimeline.empty:
        return pd.DataFrame(columns=cols)
    t = ctimeline.assign(start=(ctimeline["year"] // period_years) * period_years)
    rows, used = [], set()  # a voice read in several pairs shows another of its quotes where it has one
    for (coll, start), g in t.groupby(["collectif", "start"]):
        period = f"{start}-{start + period_years - 1}"
        readings = {}
        for role, r in g.groupby("role"):
            obst, lev = (r["polarity"] == "obstacle").sum(), (r["polarity"] == "levier").sum()
            themes = {x for s in r["themes"] if s for x in s.split(", ")}
            pol = "obstacle" if obst > lev else "levier" if lev > obst else None
            q = r[r["polarity"] == pol] if pol else r
            readings[role] = (pol, themes, [f"« {x} » ({ref})" for x, ref in zip(q["text"], q["ref"])])
        roles = sorted(readings)
        n = 0
        for i, a in enumerate(roles):
            for b in roles[i + 1:]:
                if n >= max_per_period:
                    break
                (pa, ta, qa), (pb, tb, qb) = readings[a], readings[b]
                if pa and pb and pa != pb:
                    rows.append((coll, period, "polarité", a, pa, _fresh(qa, used), b, pb, _fresh(qb, used)))
                    n += 1
                elif ta and tb and not (ta & tb):
                    rows.append((coll, period, "thèmes", a, ", ".join(sorted(ta)), _fresh(qa, used), b,
                                 ", ".join(sorted(tb)), _fresh(qb, used)))
                    n += 1
    return pd.DataFrame(rows, columns=cols)


def _fresh(quotes: list[str], used: set[str]) -> str:
    """The first of ``quotes`` not used yet (then used), or the first when all are."""
    q = next((x for x in quotes if x not in used), quotes[0])
    used.add(q)
    return q


def compute_all(store, codebook=None, *, inputs: dict[str, pd.DataFrame] | None = None,
                group: str = "collectif") -> dict[str, pd.DataFrame]:
    """MIAOU grid and collective-narrative tables, keyed by their table name."""
    from narratif.aggregate.quantify import group_attributes, load_inputs

    x = inputs or load_inputs(store, codebook)
    docs, coded, tps = x["documents"], x["coded"], x["turning_points"]
    quotes = x.get("quotes") or QuoteFinder(docs, x["segments"], store.table("sentences"))
    timeline = store.table("timeline")
    timeline = timeline[timeline["doc_id"].isin(docs["doc_id"])]
    attrs = [a for a in group_attributes(docs) if a in ("collectif", "role", "kind")] or group_attributes(docs)[:2]
    ct = collective_timeline(docs, timeline, tps, coded, quotes, codebook, group=group)
    return {
        "miaou_grid": miaou_grid(coded, tps, docs, quotes, codebook, group_attributes=attrs),
        "collective_timeline": ct,
        "collective_orientation": collective_orientation(docs, timeline, group=group),
        "collective_themes": collective_themes(docs, coded, codebook, group=group),
        "collective_divergences": collective_divergences(ct),
    }
