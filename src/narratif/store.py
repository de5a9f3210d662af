"""The local store: one embedded DuckDB file per output directory; sole owner of SQL.

Each document is written in one transaction (its old rows deleted first), so a run
killed at any point leaves every document either fully old or fully new, and a
rerun never duplicates rows. Documents are identified by content hash; a file whose
content changed replaces the rows of its previous version.
"""

from __future__ import annotations

import contextlib
import json
import re
from dataclasses import fields
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable

import duckdb
import pandas as pd

from narratif.models import Analysis, Coding, Document, Segment, Sentence, TimeExpression, TurningPoint, TurningPointReview
from narratif.atomic import atomic_write

DB_NAME = "narratif.duckdb"
TABLES_DIR = "tables"

#: Per-document tables and their DDL. Column order = dataclass field order.
_DOC_TABLE_DDL = {
    "segments": """doc_id VARCHAR, seg_id INTEGER, start INTEGER, "end" INTEGER, text VARCHAR,
        speaker VARCHAR, role VARCHAR, timestamp VARCHAR, page INTEGER""",
    "sentences": """doc_id VARCHAR, seg_id INTEGER, sent_id INTEGER, start INTEGER, "end" INTEGER, text VARCHAR""",
    "codings": """doc_id VARCHAR, seg_id INTEGER, code VARCHAR, score DOUBLE, method VARCHAR, evidence VARCHAR""",
    "turning_points": """doc_id VARCHAR, seg_id INTEGER, sent_id INTEGER, start INTEGER, "end" INTEGER,
        text VARCHAR, type VARCHAR, polarity VARCHAR, score DOUBLE, evidence VARCHAR, time_anchor VARCHAR,
        year INTEGER, source VARCHAR""",
    "timeline": """doc_id VARCHAR, sent_id INTEGER, start INTEGER, "end" INTEGER, expression VARCHAR,
        kind VARCHAR, value VARCHAR, orientation VARCHAR, year INTEGER""",
}
_RECORD_TYPES = {
    "segments": Segment,
    "sentences": Sentence,
    "codings": Coding,
    "turning_points": TurningPoint,
    "timeline": TimeExpression,
    "turning_point_reviews": TurningPointReview,  # not per document: see Store.write_reviews
}
_REVIEWS_DDL = """doc_id VARCHAR, path VARCHAR, start INTEGER, "end" INTEGER, text VARCHAR, verdict VARCHAR,
    type VARCHAR, change VARCHAR, source VARCHAR, reviewed_at VARCHAR"""
#: Validation samples and the analysts' verdicts on them (narratif.validation): never deleted
#: with a document's rows; a unit is keyed by a hash of its document path and its text.
_VALIDATION_DDL = {
    "validation_samples": """sample_id VARCHAR, purpose VARCHAR, unit VARCHAR, by_attribute VARCHAR, seed BIGINT,
        n INTEGER, drawn_at VARCHAR, narratif_version VARCHAR, codebook VARCHAR, design VARCHAR""",
    "validation_units": """sample_id VARCHAR, unit_id VARCHAR, unit VARCHAR, doc_id VARCHAR, path VARCHAR,
        seg_id INTEGER, sent_id INTEGER, text VARCHAR, stratum VARCHAR, probability DOUBLE, predicted VARCHAR""",
    "validation_verdicts": """unit_id VARCHAR, code VARCHAR, verdict INTEGER, source VARCHAR, reviewed_at VARCHAR""",
}
#: Fixed columns of ``documents``; attributes become extra VARCHAR columns.
DOCUMENT_COLUMNS = {
    "doc_id": "VARCHAR PRIMARY KEY",
    "path": "VARCHAR",
    "sha256": "VARCHAR",
    "kind": "VARCHAR",
    "format": "VARCHAR",
    "title": "VARCHAR",
    "n_words": "INTEGER",
    "n_segments": "INTEGER",
    "status": "VARCHAR",
    "error": "VARCHAR",
    "analysis_key": "VARCHAR",
    "processed_at": "TIMESTAMP",
    "pages": "VARCHAR",  # JSON list of [start, end]
    "text": "VARCHAR",
}
PER_DOCUMENT_TABLES = tuple(_DOC_TABLE_DDL)
_IDENT_RE = re.compile(r"^[a-z_][a-z0-9_]*$")


class StoreLockedError(RuntimeError):
    """Another process holds the store."""


def attribute_column(name: str) -> str:
    """A safe column name for an attribute ("Tranche d'âge" -> "tranche_d_age")."""
    import unicodedata

    s = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode().lower()
    s = re.sub(r"[^a-z0-9]+", "_", s).strip("_") or "attr"
    if s[0].isdigit():
        s = "a_" + s
    if s in DOCUMENT_COLUMNS:
        s = f"attr_{s}"
    return s


class Store:
    """Read/write access to ``DIR/narratif.duckdb``."""

    def __init__(self, out_dir: str | Path, *, read_only: bool = False):
        self.out_dir = Path(out_dir)
        self.path = self.out_dir / DB_NAME
        self.read_only = read_only
        self.written: set[str] = set()  # tables this connection changed (Parquet copies follow them)
        if not read_only:
            self.out_dir.mkdir(parents=True, exist_ok=True)
        try:
            self.con = duckdb.connect(str(self.path), read_only=read_only)
        except duckdb.IOException as exc:
            if "lock" in str(exc).lower():
                raise StoreLockedError(
                    f"{self.path} is in use by another narratif process; wait for it to finish or use another --out"
                ) from exc
            raise
        if not read_only:
            self._create()

    # -- schema -------------------------------------------------------------------------
    def _create(self) -> None:
        cols = ", ".join(f'"{c}" {t}' for c, t in DOCUMENT_COLUMNS.items())
        self.con.execute(f"CREATE TABLE IF NOT EXISTS documents ({cols})")
        for name, ddl in _DOC_TABLE_DDL.items():
            self.con.execute(f"CREATE TABLE IF NOT EXISTS {name} ({ddl})")
            self._add_missing_columns(name, ddl)
        self.con.execute("CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
        # analysts' work: never deleted with a document's rows (see write_reviews)
        self.con.execute(f"CREATE TABLE IF NOT EXISTS turning_point_reviews ({_REVIEWS_DDL})")
        self.con.execute(
            """CREATE TABLE IF NOT EXISTS runs (run_id VARCHAR, started_at TIMESTAMP, finished_at TIMESTAMP,
            inputs VARCHAR, n_documents INTEGER, n_processed INTEGER, n_skipped INTEGER, n_quarantined INTEGER,
            n_words BIGINT, seconds DOUBLE, settings VARCHAR, summary VARCHAR)"""
        )

    def _add_missing_columns(self, table: str, ddl: str) -> None:
        """A store from an older version gains the columns added since (NULL until re-analysed)."""
        have = {r[0] for r in self.con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ?", [table]).fetchall()}
        for col in (c.strip() for c in ddl.split(",")):
            name, kind = col.rsplit(" ", 1)
            name = name.strip().strip('"')
            if name not in have:
                self.con.execute(f'ALTER TABLE {table} ADD COLUMN "{name}" {kind}')

    def close(self) -> None:
        self.con.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @contextlib.contextmanager
    def _transaction(self):
        """All statements inside commit together or not at all."""
        self.con.execute("BEGIN TRANSACTION")
        try:
            yield self.con
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        self.con.execute("COMMIT")

    def attribute_columns(self) -> list[str]:
        cols = [r[0] for r in self.con.execute("SELECT column_name FROM information_schema.columns "
                                               "WHERE table_name='documents' ORDER BY ordinal_position").fetchall()]
        return [c for c in cols if c not in DOCUMENT_COLUMNS]

    # -- per-document writes ------------------------------------------------------------
    def processed_keys(self) -> dict[str, tuple[str, str, str]]:
        """doc_id -> (sha256, analysis_key, status) for what is already stored."""
        rows = self.con.execute("SELECT doc_id, sha256, analysis_key, status FROM documents").fetchall()
        return {r[0]: (r[1], r[2], r[3]) for r in rows}

    def doc_ids_for_path(self, path: str) -> list[str]:
        return [r[0] for r in self.con.execute("SELECT doc_id FROM documents WHERE path = ?", [path]).fetchall()]

    def write_document(self, doc: Document, analysis: Analysis | None, analysis_key: str,
                       *, replaces: Iterable[str] = ()) -> None:
        """Replace everything stored for ``doc`` (and the older versions it ``replaces``) atomically."""
        attrs = {attribute_column(k): (None if v is None else str(v)) for k, v in doc.attributes.items()}
        with self._transaction() as con:
            existing = set(self.attribute_columns())
            for col in attrs:
                if col not in existing:
                    con.execute(f'ALTER TABLE documents ADD COLUMN "{col}" VARCHAR')
            for old in {doc.doc_id, *replaces}:
                self._delete(old)
            row: dict[str, Any] = {
                "doc_id": doc.doc_id, "path": doc.path, "sha256": doc.sha256, "kind": doc.kind,
                "format": doc.format, "title": doc.title, "n_words": doc.n_words,
                "n_segments": len(doc.segments), "status": doc.status, "error": doc.error,
                "analysis_key": analysis_key, "processed_at": datetime.now(timezone.utc).replace(tzinfo=None),
                "pages": json.dumps(doc.pages) if doc.pages else None, "text": doc.text,
            }
            row.update(attrs)
            names = ", ".join(f'"{c}"' for c in row)
            con.execute(f"INSERT INTO documents ({names}) VALUES ({', '.join('?' * len(row))})", list(row.values()))
            self._insert_records("segments", doc.segments)
            self.written.update(("documents", *PER_DOCUMENT_TABLES))
            if analysis is not None:
                self._insert_records("sentences", analysis.sentences)
                self._insert_records("codings", analysis.codings)
                self._insert_records("turning_points", analysis.turning_points)
                self._insert_records("timeline", analysis.timeline)

    def _delete(self, doc_id: str) -> None:
        self.con.execute("DELETE FROM documents WHERE doc_id = ?", [doc_id])
        for t in PER_DOCUMENT_TABLES:
            self.con.execute(f"DELETE FROM {t} WHERE doc_id = ?", [doc_id])

    def _insert_records(self, table: str, records: list) -> None:
        if not records:
            return
        cols = [f.name for f in fields(_RECORD_TYPES[table])]
        df = pd.DataFrame([[getattr(r, c) for c in cols] for r in records], columns=cols)
        self.con.register("_rows", df)
        quoted = ", ".join(f'"{c}"' for c in cols)
        self.con.execute(f"INSERT INTO {table} ({quoted}) SELECT {quoted} FROM _rows")
        self.con.unregister("_rows")

    # -- analysts' verdicts on turning points ---------------------------------------------
    def write_reviews(self, reviews: list[TurningPointReview]) -> None:
        """Record verdicts in one transaction; a new verdict on a sentence replaces the older one.

        Kept apart from the per-document tables: re-analysing a document never deletes them.
        """
        if not reviews:
            return
        with self._transaction() as con:
            for r in reviews:
                con.execute('DELETE FROM turning_point_reviews WHERE doc_id = ? AND start = ? AND "end" = ?',
                            [r.doc_id, r.start, r.end])
            self._insert_records("turning_point_reviews", reviews)
        self.written.add("turning_point_reviews")

    def reviews(self) -> list[TurningPointReview]:
        """Every recorded verdict (none on a store from before reviews)."""
        if not self.has_table("turning_point_reviews"):
            return []
        cols = [f.name for f in fields(TurningPointReview)]
        quoted = ", ".join(f'"{c}"' for c in cols)
        rows = self.con.execute(f"SELECT {quoted} FROM turning_point_reviews ORDER BY doc_id, start").fetchall()
        return [TurningPointReview(*row) for row in rows]

    # -- validation samples and verdicts (narratif.validation) ----------------------------
    def _ensure_validation_tables(self) -> None:
        for name, ddl in _VALIDATION_DDL.items():
            self.con.execute(f"CREATE TABLE IF NOT EXISTS {name} ({ddl})")

    def add_validation_sample(self, sample: dict[str, Any], units: pd.DataFrame) -> None:
        """Record a drawn sample and its units in one transaction."""
        self._ensure_validation_tables()
        con = self.con
        with self._transaction():
            names = ", ".join(sample)
            con.execute(f"INSERT INTO validation_samples ({names}) VALUES ({', '.join('?' * len(sample))})",
                        list(sample.values()))
            if not units.empty:
                cols = ", ".join(f'"{c}"' for c in units.columns)
                con.register("_units", units)
                con.execute(f"INSERT INTO validation_units ({cols}) SELECT {cols} FROM _units")
                con.unregister("_units")

    def write_verdicts(self, verdicts: pd.DataFrame) -> None:
        """Record verdicts (unit_id, code, verdict, source, reviewed_at) in one transaction; a new
        verdict on a unit and code replaces the older one."""
        if verdicts.empty:
            return
        self._ensure_validation_tables()
        con = self.con
        cols = ["unit_id", "code", "verdict", "source", "reviewed_at"]
        with self._transaction():
            con.register("_verdicts", verdicts[cols])
            con.execute("DELETE FROM validation_verdicts WHERE (unit_id, code) IN "
                        "(SELECT (unit_id, code) FROM _verdicts)")
            con.execute(f"INSERT INTO validation_verdicts ({', '.join(cols)}) SELECT {', '.join(cols)} FROM _verdicts")
            con.unregister("_verdicts")

    def validation_table(self, name: str) -> pd.DataFrame:
        """``validation_samples``, ``validation_units`` or ``validation_verdicts`` (empty, with its
        columns, on a store where no sample was ever drawn)."""
        if name not in _VALIDATION_DDL:
            raise ValueError(f"{name!r} is not a validation table")
        if self.has_table(name):
            return self.con.execute(f"SELECT * FROM {name} ORDER BY ALL").df()
        cols = [c.strip().split()[0] for c in _VALIDATION_DDL[name].split(",")]
        return pd.DataFrame(columns=cols)

    def last_run_settings(self) -> dict[str, Any]:
        """The settings of the latest run on this store (empty when none is recorded)."""
        row = self.con.execute("SELECT settings FROM runs WHERE settings IS NOT NULL "
                               "ORDER BY started_at DESC NULLS LAST LIMIT 1").fetchone()
        try:
            return json.loads(row[0]) if row else {}
        except ValueError:
            return {}

    # -- whole tables (corpus-level stages) ---------------------------------------------
    def table(self, name: str, **equals: Any) -> pd.DataFrame:
        """A stored table as a DataFrame, optionally only the rows whose columns equal
        the given values (``store.table("sentences", doc_id=d)``)."""
        if not _IDENT_RE.match(name) or any(not _IDENT_RE.match(c) for c in equals):
            raise ValueError(f"bad table or column name in {name!r} {list(equals)}")
        where = " AND ".join(f'"{c}" = ?' for c in equals)
        sql = f"SELECT * FROM {name}" + (f" WHERE {where}" if where else "")
        return self.con.execute(sql, list(equals.values())).df()

    def narrated_segments(self) -> pd.DataFrame:
        """Segments of ok documents that are not interviewer turns, in stable order (topics' corpus)."""
        if not self.has_table("segments"):
            return pd.DataFrame(columns=["doc_id", "seg_id", "text", "role"])
        return self.con.execute(
            """SELECT s.doc_id, s.seg_id, s.text, s.role FROM segments s JOIN documents d USING (doc_id)
               WHERE d.status = 'ok' AND coalesce(s.role, '') <> 'interviewer'
               ORDER BY s.doc_id, s.seg_id"""
        ).df()

    def speakers(self) -> list[str]:
        """Every speaker name stored on a segment."""
        rows = self.con.execute("SELECT DISTINCT speaker FROM segments WHERE speaker IS NOT NULL").fetchall()
        return [r[0] for r in rows]

    def document_outcomes(self, doc_ids: list[str]) -> list[tuple[str, str, str | None, int | None]]:
        """(path, status, error, n_words) of the given documents."""
        return self.con.execute(
            "SELECT path, status, error, n_words FROM documents WHERE doc_id IN (SELECT unnest(?))", [doc_ids]
        ).fetchall()

    def documents(self, *, with_text: bool = False, status: str | None = "ok") -> pd.DataFrame:
        cols = "*" if with_text else "* EXCLUDE (text)"
        sql = f"SELECT {cols} FROM documents" + (" WHERE status = ?" if status else "") + " ORDER BY path"
        return self.con.execute(sql, [status] if status else []).df()

    def document(self, doc_id: str) -> Document | None:
        """A stored document with its text and segments, as ingestion made it (``None`` if absent)."""
        row = self.con.execute("SELECT doc_id, path, sha256, kind, format, text, status, error, n_words, title "
                               "FROM documents WHERE doc_id = ?", [doc_id]).fetchone()
        if row is None:
            return None
        doc = Document(*row[:5], text=row[5] or "", status=row[6], error=row[7], n_words=row[8] or 0, title=row[9])
        if self.has_table("segments"):
            rows = self.con.execute('SELECT doc_id, seg_id, start, "end", text, speaker, role, timestamp, page '
                                    "FROM segments WHERE doc_id = ? ORDER BY seg_id", [doc_id]).fetchall()
            doc.segments = [Segment(*r) for r in rows]
        return doc

    def tables(self) -> list[str]:
        return sorted(r[0] for r in self.con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema='main'").fetchall())

    def has_table(self, name: str) -> bool:
        return name in self.tables()

    def replace_table(self, name: str, df: pd.DataFrame) -> None:
        """Replace a derived (corpus-level) table atomically."""
        if not _IDENT_RE.match(name) or name in PER_DOCUMENT_TABLES or name in _RECORD_TYPES \
                or name in ("documents", "runs") or name in _VALIDATION_DDL:
            raise ValueError(f"{name!r} is not a derived table name")
        self.written.add(name)
        with self._transaction() as con:
            con.register("_df", df)
            con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM _df")
            con.unregister("_df")

    def get_meta(self, key: str) -> str | None:
        """A small key/value memo kept with the store (e.g. analysis signatures)."""
        if "meta" not in self.tables():
            return None
        row = self.con.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        self.con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [key, value])

    def record_run(self, **row: Any) -> None:
        self.written.add("runs")
        names = ", ".join(row)
        self.con.execute(f"INSERT INTO runs ({names}) VALUES ({', '.join('?' * len(row))})", list(row.values()))

    def checkpoint(self) -> None:
        self.con.execute("CHECKPOINT")

    # -- Parquet copies -----------------------------------------------------------------
    def export_parquet(self, tables: Iterable[str] | None = None) -> list[Path]:
        """Write ``tables/<name>.parquet`` for each table (via a temp file + rename)."""
        out = self.out_dir / TABLES_DIR
        out.mkdir(parents=True, exist_ok=True)
        written = []
        for name in tables or [t for t in self.tables() if t != "meta"]:  # meta: internal memo
            target = atomic_write(out / f"{name}.parquet", lambda tmp: self.con.execute(
                f"COPY (SELECT * FROM {name}) TO '{tmp.as_posix()}' (FORMAT PARQUET)"))
            written.append(target)
        return written
