"""One story file's turning points, dated, with their line: the quick look ``narratif turning-points`` gives."""

from __future__ import annotations

from bisect import bisect_right

from narratif.turning_points.detect import detect_turning_points


def story_turning_points(path, *, nlp=None, attributes: dict | None = None):
    """The turning points of one story file, dated and with their line, as a run finds them:
    a quick look at a story (``narratif turning-points``), and the shape of the check on
    one-sentence-per-line stories (``line`` is 1-based in the file's text).

    Returns a DataFrame: line, sent_id, speaker, type, polarity, score, year, time_anchor,
    text, evidence — in text order. Raises ``ValueError`` naming the file when it cannot be read.
    """
    from pathlib import Path

    import pandas as pd

    from narratif.ingest import ingest_file
    from narratif.nlp.parse import load_nlp, parse_document
    from narratif.timeline.anchoring import anchor_turning_points
    from narratif.timeline.expressions import extract_timeline

    path = Path(path)
    document = ingest_file(path, attributes)
    if not document.ok:
        raise ValueError(f"{path}: {document.error}")
    parsed = parse_document(nlp or load_nlp(), document)
    tps = anchor_turning_points(detect_turning_points(document, parsed), extract_timeline(document, parsed), parsed)
    speaker = {s.sent_id: p.segment.speaker for p in parsed for s in p.sentences}
    line_starts = [0] + [i + 1 for i, c in enumerate(document.text) if c == "\n"]
    rows = [{"line": bisect_right(line_starts, tp.start), "sent_id": tp.sent_id, "speaker": speaker.get(tp.sent_id),
             "type": tp.type, "polarity": tp.polarity, "score": tp.score, "year": tp.year,
             "time_anchor": tp.time_anchor, "text": tp.text, "evidence": tp.evidence}
            for tp in sorted(tps, key=lambda t: t.sent_id)]
    columns = ["line", "sent_id", "speaker", "type", "polarity", "score", "year", "time_anchor", "text", "evidence"]
    return pd.DataFrame(rows, columns=columns).astype({"year": "Int64"})
