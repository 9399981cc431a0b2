"""The archive index: what products an archive holds, their files, times and provenance.

The index is a small storage interface (`ArchiveIndex`) with one implementation on
SQLite (`SQLiteIndex`, the embedded default). All SQL is plain SQL-92 (no AUTOINCREMENT,
no UPSERT, no JSON functions, times kept as normalised ISO 8601 text so that string
comparison is time comparison), and parameters go through one placeholder hook, so a
server database (PostgreSQL with ``%s`` placeholders) can replace SQLite by subclassing
and overriding `connect`/`placeholder` only.

Every write happens inside `transaction()`: a product row, its file rows and its
provenance rows are committed together or not at all, so an interrupted scan never
leaves partial rows.
"""

from __future__ import annotations

import abc
import contextlib
import json
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pdsgen.archive.errors import ArchiveInputError
from pdsgen.model import ProductIdentity

SCHEMA_VERSION = 1

#: Portable DDL: types map onto PostgreSQL unchanged (INTEGER values that may exceed
#: 2**31, such as sizes and nanosecond mtimes, are declared BIGINT).
DDL = (
    """CREATE TABLE IF NOT EXISTS meta (
        name VARCHAR(64) PRIMARY KEY,
        value TEXT)""",
    """CREATE TABLE IF NOT EXISTS products (
        label_path VARCHAR(1024) PRIMARY KEY,
        standard VARCHAR(8) NOT NULL,
        lid VARCHAR(255),
        vid VARCHAR(32),
        lidvid VARCHAR(300),
        product_id VARCHAR(255),
        data_set_id VARCHAR(255),
        product_class VARCHAR(64),
        product_type VARCHAR(255),
        title TEXT,
        start_time VARCHAR(40),
        stop_time VARCHAR(40),
        instrument VARCHAR(255),
        is_calibration INTEGER NOT NULL,
        label_size BIGINT NOT NULL,
        label_mtime_ns BIGINT NOT NULL,
        label_md5 CHAR(32) NOT NULL,
        recipe_name VARCHAR(64),
        recipe_version VARCHAR(32),
        pdsgen_version VARCHAR(64),
        parameters TEXT)""",
    "CREATE INDEX IF NOT EXISTS products_lid ON products (lid)",
    "CREATE INDEX IF NOT EXISTS products_start ON products (start_time)",
    "CREATE INDEX IF NOT EXISTS products_lidvid ON products (lidvid)",
    """CREATE TABLE IF NOT EXISTS files (
        label_path VARCHAR(1024) NOT NULL,
        path VARCHAR(1024) NOT NULL,
        size BIGINT NOT NULL,
        mtime_ns BIGINT NOT NULL,
        md5 CHAR(32) NOT NULL,
        PRIMARY KEY (label_path, path))""",
    """CREATE TABLE IF NOT EXISTS provenance (
        label_path VARCHAR(1024) NOT NULL,
        role VARCHAR(16) NOT NULL,
        ref VARCHAR(300) NOT NULL,
        md5 CHAR(32),
        PRIMARY KEY (label_path, role, ref))""",
    """CREATE TABLE IF NOT EXISTS regen_runs (
        run_id VARCHAR(64) PRIMARY KEY,
        started VARCHAR(40) NOT NULL,
        creation_time VARCHAR(40) NOT NULL,
        options TEXT NOT NULL,
        finished INTEGER NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS regen_tasks (
        run_id VARCHAR(64) NOT NULL,
        label_path VARCHAR(1024) NOT NULL,
        spec TEXT NOT NULL,
        status VARCHAR(16) NOT NULL,
        result TEXT,
        PRIMARY KEY (run_id, label_path))""",
)


@dataclass
class FileRecord:
    """One file of a product (the label itself, or a data file it names), path relative to ROOT."""

    path: str
    size: int
    mtime_ns: int
    md5: str


@dataclass
class ProvenanceRef:
    """One input or calibration product a pdsgen-made product was made from."""

    role: str  # "input" or "calibration"
    ref: str  # LIDVID (PDS4) or PRODUCT_ID (PDS3), or a file name when neither is known
    md5: str | None = None


@dataclass
class ProductRecord:
    """One indexed product; ``label_path`` is relative to the archive root (POSIX slashes)."""

    label_path: str
    standard: str
    label_size: int
    label_mtime_ns: int
    label_md5: str
    lid: str | None = None
    vid: str | None = None
    product_id: str | None = None
    data_set_id: str | None = None
    product_class: str | None = None
    product_type: str | None = None
    title: str | None = None
    start_time: str | None = None  # normalised: YYYY-MM-DDTHH:MM:SS.ffffffZ
    stop_time: str | None = None
    instrument: str | None = None
    is_calibration: bool = False
    recipe_name: str | None = None
    recipe_version: str | None = None
    pdsgen_version: str | None = None
    parameters: dict[str, Any] | None = None
    files: list[FileRecord] = field(default_factory=list)
    provenance: list[ProvenanceRef] = field(default_factory=list)

    @property
    def identity(self) -> ProductIdentity:
        return ProductIdentity(self.lid, self.vid, self.product_class, self.title, self.label_path,
                               self.product_id)

    @property
    def lidvid(self) -> str | None:
        return self.identity.lidvid

    @property
    def identifier(self) -> str:
        return self.identity.identifier or self.label_path

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["lidvid"] = self.lidvid
        return d


_PRODUCT_COLUMNS = (
    "label_path", "standard", "lid", "vid", "lidvid", "product_id", "data_set_id",
    "product_class", "product_type", "title", "start_time", "stop_time", "instrument",
    "is_calibration", "label_size", "label_mtime_ns", "label_md5", "recipe_name",
    "recipe_version", "pdsgen_version", "parameters",
)  # fmt: skip


class ArchiveIndex(abc.ABC):
    """Storage interface of the archive index (DB-API 2 connection underneath).

    Subclasses provide `connect` (abstract) and `placeholder`; everything else is portable SQL.
    """

    placeholder = "?"
    #: the driver's error classes: a failed write becomes one clear `ArchiveInputError`
    db_errors: tuple[type[Exception], ...] = ()

    def __init__(self, location: str | Path):
        self.location = str(location)
        self._conn = self.connect()
        self._depth = 0
        with self.transaction() as cur:
            for stmt in DDL:
                cur.execute(stmt)
        if self.meta("schema_version") is None:
            self.set_meta("schema_version", str(SCHEMA_VERSION))
        elif self.meta("schema_version") != str(SCHEMA_VERSION):
            raise ArchiveInputError(
                f"index schema version {self.meta('schema_version')} is not {SCHEMA_VERSION}; "
                "delete the index and re-run `pdsgen archive index`",
                path=self.location,
            )

    # -- backend hooks ---------------------------------------------------------------
    @abc.abstractmethod
    def connect(self) -> Any:
        """A DB-API 2 connection to ``self.location`` (transactions are committed explicitly)."""

    def _sql(self, text: str) -> str:
        return text if self.placeholder == "?" else text.replace("?", self.placeholder)

    # -- transactions ----------------------------------------------------------------
    @contextlib.contextmanager
    def transaction(self) -> Iterator[Any]:
        """A cursor whose writes commit together on exit, or roll back on any error."""
        cur = self._conn.cursor()
        if self._depth:
            yield cur
            return
        self._depth += 1
        try:
            yield cur
            self._conn.commit()
        except self.db_errors as exc:
            # disk full, read-only or locked database: this step's writes are rolled back
            # (each step is one transaction, so the index stays consistent)
            self._rollback()
            raise ArchiveInputError(f"cannot write the archive index: {exc}; this step was rolled back, "
                                    "the index is consistent", path=self.location) from exc
        except BaseException:
            self._rollback()
            raise
        finally:
            self._depth -= 1
            cur.close()

    def _rollback(self) -> None:
        try:
            self._conn.rollback()
        except self.db_errors:  # the connection may be unusable after a disk-full error
            pass

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> ArchiveIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def execute(self, sql: str, params: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
        cur = self._conn.cursor()
        try:
            cur.execute(self._sql(sql), tuple(params))
            rows: list[tuple[Any, ...]] = cur.fetchall()
            return rows
        except self.db_errors as exc:
            raise ArchiveInputError(f"cannot read the archive index: {exc}", path=self.location) from exc
        finally:
            cur.close()

    # -- meta ------------------------------------------------------------------------
    def meta(self, name: str) -> str | None:
        rows = self.execute("SELECT value FROM meta WHERE name = ?", (name,))
        return rows[0][0] if rows else None

    def set_meta(self, name: str, value: str) -> None:
        with self.transaction() as cur:
            cur.execute(self._sql("DELETE FROM meta WHERE name = ?"), (name,))
            cur.execute(self._sql("INSERT INTO meta (name, value) VALUES (?, ?)"), (name, value))

    # -- products --------------------------------------------------------------------
    def put_products(self, records: Iterable[ProductRecord], replace: Iterable[str] | None = None) -> int:
        """Insert or replace products (with their files and provenance) in one transaction.

        ``replace``: the label paths that may already have rows (None: any of them);
        the scanner knows which products are new and skips deleting for those.
        """
        records = list(records)
        if not records:
            return 0
        keys = [(r.label_path,) for r in records] if replace is None else [(p,) for p in replace]
        cols = ", ".join(_PRODUCT_COLUMNS)
        marks = ", ".join("?" * len(_PRODUCT_COLUMNS))
        rows = []
        files: list[tuple[str, str, int, int, str]] = []
        prov = []
        for r in records:
            rows.append(
                (
                    r.label_path, r.standard, r.lid, r.vid, r.lidvid, r.product_id,
                    r.data_set_id, r.product_class, r.product_type, r.title, r.start_time,
                    r.stop_time, r.instrument, int(r.is_calibration), r.label_size,
                    r.label_mtime_ns, r.label_md5, r.recipe_name, r.recipe_version,
                    r.pdsgen_version,
                    json.dumps(r.parameters, sort_keys=True) if r.parameters is not None else None,
                )  # fmt: skip
            )
            files.extend((r.label_path, f.path, f.size, f.mtime_ns, f.md5) for f in r.files)
            # A provenance list may name the same reference twice; keep the first.
            seen: set[tuple[str, str]] = set()
            for p in r.provenance:
                if (p.role, p.ref) not in seen:
                    seen.add((p.role, p.ref))
                    prov.append((r.label_path, p.role, p.ref, p.md5))
        with self.transaction() as cur:
            for table in ("products", "files", "provenance"):
                cur.executemany(self._sql(f"DELETE FROM {table} WHERE label_path = ?"), keys)
            cur.executemany(self._sql(f"INSERT INTO products ({cols}) VALUES ({marks})"), rows)
            cur.executemany(
                self._sql("INSERT INTO files (label_path, path, size, mtime_ns, md5) VALUES (?, ?, ?, ?, ?)"),
                files,
            )
            cur.executemany(
                self._sql("INSERT INTO provenance (label_path, role, ref, md5) VALUES (?, ?, ?, ?)"),
                prov,
            )
        return len(records)

    def delete_products(self, label_paths: Iterable[str]) -> int:
        keys = [(p,) for p in label_paths]
        if not keys:
            return 0
        with self.transaction() as cur:
            for table in ("products", "files", "provenance"):
                cur.executemany(self._sql(f"DELETE FROM {table} WHERE label_path = ?"), keys)
        return len(keys)

    def touch_files(self, updates: Iterable[tuple[str, str, int, int]]) -> None:
        """Record new mtimes of files whose content (checksum) did not change.

        ``updates``: (label_path, path, size, mtime_ns); the label's own row follows
        when ``path == label_path``.
        """
        updates = list(updates)
        with self.transaction() as cur:
            cur.executemany(
                self._sql("UPDATE files SET size = ?, mtime_ns = ? WHERE label_path = ? AND path = ?"),
                [(s, m, lp, p) for lp, p, s, m in updates],
            )
            cur.executemany(
                self._sql("UPDATE products SET label_size = ?, label_mtime_ns = ? WHERE label_path = ?"),
                [(s, m, lp) for lp, p, s, m in updates if p == lp],
            )

    def file_states(self) -> dict[str, list[tuple[str, int, int, str]]]:
        """label_path -> [(path, size, mtime_ns, md5)] of every indexed product's files."""
        out: dict[str, list[tuple[str, int, int, str]]] = {}
        for lp, p, s, m, h in self.execute("SELECT label_path, path, size, mtime_ns, md5 FROM files"):
            out.setdefault(lp, []).append((p, s, m, h))
        return out

    def _records(self, where: str = "", params: Iterable[Any] = (), order: str = "") -> list[ProductRecord]:
        # one chunk: files and provenance attached with one query each (whole tables when many)
        return list(self._iter_records(where, params, order, chunk=0))

    def _iter_records(self, where: str = "", params: Iterable[Any] = (), order: str = "",
                      chunk: int = 500) -> Iterator[ProductRecord]:
        """Records in order, read ``chunk`` rows at a time (files and provenance attached
        per chunk), so a caller streaming them never holds the whole index (``chunk=0``:
        all at once)."""
        names = [c for c in _PRODUCT_COLUMNS if c != "lidvid"]
        sql = f"SELECT {', '.join(names)} FROM products"
        if where:
            sql += f" WHERE {where}"
        sql += f" ORDER BY {order or 'label_path'}"
        cur = self._conn.cursor()
        try:
            cur.execute(self._sql(sql), tuple(params))
            while rows := (cur.fetchmany(chunk) if chunk else cur.fetchall()):
                records = []
                for row in rows:
                    d = dict(zip(names, row, strict=True))
                    d["is_calibration"] = bool(d["is_calibration"])
                    d["parameters"] = json.loads(d["parameters"]) if d["parameters"] else None
                    records.append(ProductRecord(**d))
                self._attach(records)
                yield from records
        except self.db_errors as exc:
            raise ArchiveInputError(f"cannot read the archive index: {exc}", path=self.location) from exc
        finally:
            cur.close()

    def _attach(self, records: list[ProductRecord]) -> None:
        by_path = {r.label_path: r for r in records}
        if len(by_path) > 500:
            files = self.execute("SELECT label_path, path, size, mtime_ns, md5 FROM files ORDER BY label_path, path")
            prov = self.execute("SELECT label_path, role, ref, md5 FROM provenance ORDER BY label_path, role, ref")
        else:
            marks = ", ".join("?" * len(by_path))
            keys = list(by_path)
            files = self.execute(
                f"SELECT label_path, path, size, mtime_ns, md5 FROM files WHERE label_path IN ({marks}) ORDER BY label_path, path",
                keys,
            )
            prov = self.execute(
                f"SELECT label_path, role, ref, md5 FROM provenance WHERE label_path IN ({marks}) ORDER BY label_path, role, ref",
                keys,
            )
        for lp, p, s, m, h in files:
            if lp in by_path:
                by_path[lp].files.append(FileRecord(p, s, m, h))
        for lp, role, ref, h in prov:
            if lp in by_path:
                by_path[lp].provenance.append(ProvenanceRef(role, ref, h))

    def products(self) -> list[ProductRecord]:
        return self._records()

    def records_for(self, label_paths: Iterable[str], chunk: int = 400) -> list[ProductRecord]:
        """The records of these label paths (those indexed), a few queries per chunk."""
        paths = list(label_paths)
        out: list[ProductRecord] = []
        for i in range(0, len(paths), chunk):
            part = paths[i:i + chunk]
            out += self._records(f"label_path IN ({', '.join('?' * len(part))})", part)
        return out

    def get(self, label_path: str) -> ProductRecord | None:
        found = self._records("label_path = ?", (label_path,))
        return found[0] if found else None

    def by_identifier(self, ident: str) -> list[ProductRecord]:
        """Products whose LIDVID, LID, PRODUCT_ID or label path is ``ident``."""
        return self._records(
            "lidvid = ? OR lid = ? OR product_id = ? OR label_path = ?",
            (ident, ident, ident, ident),
            order="lid, vid, label_path",
        )

    def query(self, **filters: Any) -> list[ProductRecord]:
        """`iter_query` as a list."""
        return list(self.iter_query(**filters))

    def iter_query(
        self,
        *,
        start: str | None = None,
        stop: str | None = None,
        lid_like: str | None = None,
        types: Iterable[str] = (),
        instrument: str | None = None,
        calibration: bool | None = None,
    ) -> Iterator[ProductRecord]:
        """Products overlapping [start, stop] (normalised times), matching the other filters.

        ``lid_like`` is an SQL LIKE pattern; ``types`` match product_type or product_class
        case-insensitively.
        """
        where: list[str] = []
        params: list[Any] = []
        if start is not None:
            # a product overlaps when it ends at/after start (or, with no stop, starts at/after)
            where.append("(COALESCE(stop_time, start_time) >= ?)")
            params.append(start)
        if stop is not None:
            where.append("(start_time <= ?)")
            params.append(stop)
        if lid_like is not None:
            where.append("(LOWER(lid) LIKE ? OR LOWER(product_id) LIKE ?)")
            params += [lid_like.lower(), lid_like.lower()]
        types = [t.lower() for t in types]
        if types:
            marks = ", ".join("?" * len(types))
            where.append(f"(LOWER(product_type) IN ({marks}) OR LOWER(product_class) IN ({marks}))")
            params += types + types
        if instrument is not None:
            where.append("(LOWER(instrument) LIKE ?)")
            params.append(f"%{instrument.lower()}%")
        if calibration is not None:
            where.append("(is_calibration = ?)")
            params.append(int(calibration))
        return self._iter_records(" AND ".join(where), params, order="start_time, lid, vid, label_path")

    def count(self) -> int:
        return int(self.execute("SELECT COUNT(*) FROM products")[0][0])

    # -- regeneration runs -----------------------------------------------------------
    def open_run(self) -> tuple[str, str, dict[str, Any]] | None:
        """The unfinished regeneration run, if any: (run_id, creation_time, options)."""
        rows = self.execute(
            "SELECT run_id, creation_time, options FROM regen_runs WHERE finished = 0 ORDER BY started"
        )
        if not rows:
            return None
        run_id, ctime, options = rows[-1]
        return run_id, ctime, json.loads(options)

    def start_run(self, run_id: str, started: str, creation_time: str, options: dict[str, Any],
                  tasks: list[tuple[str, dict[str, Any]]]) -> None:
        with self.transaction() as cur:
            cur.execute(
                self._sql("INSERT INTO regen_runs (run_id, started, creation_time, options, finished) VALUES (?, ?, ?, ?, 0)"),
                (run_id, started, creation_time, json.dumps(options, sort_keys=True)),
            )
            cur.executemany(
                self._sql("INSERT INTO regen_tasks (run_id, label_path, spec, status, result) VALUES (?, ?, ?, 'pending', NULL)"),
                [(run_id, lp, json.dumps(spec, sort_keys=True)) for lp, spec in tasks],
            )

    def run_tasks(self, run_id: str) -> list[tuple[str, dict[str, Any], str, dict[str, Any] | None]]:
        rows = self.execute(
            "SELECT label_path, spec, status, result FROM regen_tasks WHERE run_id = ? ORDER BY label_path",
            (run_id,),
        )
        return [(lp, json.loads(s), st, json.loads(r) if r else None) for lp, s, st, r in rows]

    def set_task_spec(self, run_id: str, label_path: str, spec: dict[str, Any]) -> None:
        """Replace a task's spec (a resumed run re-plans its unfinished tasks)."""
        with self.transaction() as cur:
            cur.execute(
                self._sql("UPDATE regen_tasks SET spec = ? WHERE run_id = ? AND label_path = ?"),
                (json.dumps(spec, sort_keys=True), run_id, label_path),
            )

    def set_task(self, run_id: str, label_path: str, status: str, result: dict[str, Any] | None) -> None:
        self.set_tasks(run_id, [(label_path, status, result)])

    def set_tasks(self, run_id: str, updates: Iterable[tuple[str, str, dict[str, Any] | None]]) -> None:
        """(label_path, status, result) of many tasks in one transaction."""
        rows = [(status, json.dumps(result, sort_keys=True) if result is not None else None, run_id, lp)
                for lp, status, result in updates]
        with self.transaction() as cur:
            cur.executemany(
                self._sql("UPDATE regen_tasks SET status = ?, result = ? WHERE run_id = ? AND label_path = ?"), rows)

    def finish_run(self, run_id: str) -> None:
        with self.transaction() as cur:
            cur.execute(self._sql("UPDATE regen_runs SET finished = 1 WHERE run_id = ?"), (run_id,))


class SQLiteIndex(ArchiveIndex):
    """The embedded default: one SQLite file (WAL journal, so readers never block a scan)."""

    db_errors = (sqlite3.Error,)

    def connect(self) -> sqlite3.Connection:
        try:
            if self.location != ":memory:":
                Path(self.location).parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.location, isolation_level="DEFERRED")
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
        except (sqlite3.Error, OSError) as exc:
            raise ArchiveInputError(f"cannot open the archive index: {exc}", path=self.location) from exc
        return conn


def default_db(root: str | Path) -> Path:
    """Where the index of ROOT lives unless --db says otherwise."""
    return Path(root) / ".pdsgen" / "archive.sqlite"


def open_index(db: str | Path) -> ArchiveIndex:
    """Open (creating if needed) the index at ``db``; a ``postgresql://`` URL is not built in."""
    text = str(db)
    if text.startswith(("postgres://", "postgresql://")):
        from pdsgen.errors import UnsupportedError

        raise UnsupportedError(
            "PostgreSQL is not built in: subclass pdsgen.archive.index.ArchiveIndex with a "
            "psycopg connection and placeholder = '%s'",
            path=text,
        )
    return SQLiteIndex(db)
