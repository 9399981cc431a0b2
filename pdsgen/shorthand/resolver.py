"""Resolve a shorthand reference against data products and calibration files.

Semantics (the README's "Resolution semantics" section says the same in prose):

* The i-th row value of a reference is compared with the i-th field of each record
  (the first with the purpose field). Strings are compared trimmed (optionally
  case-folded), numbers numerically; a record matches when all row values match.
* The column id names the field whose value is returned: exact name, then
  case-insensitive, else an error with "did you mean".
* Variables come from the caller (``variables``: a scalar or one value per record), or
  per record from a column of the data product being processed (``bind``). Per-record
  variables make resolution a vectorised join: queries and record keys are encoded to
  dense integer codes (`np.unique`) and matched with `np.searchsorted`.
* ``latest``: variables matched in "latest at or before" mode — among the records equal
  on every other selector, the one whose key (the latest-mode fields, compared as a
  tuple in reference order) is the greatest not after the query. For validity-start
  columns such as ``Start_Year``/``Start_DDOY``.
* A dp reference without row variables returns the column of every matching record.
  Everything else needs exactly one record per query: none, or several with the same
  key, raise `ResolutionError` naming reference, file, variable values and candidates.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NoReturn

import numpy as np

from pdsgen.errors import ResolutionError
from pdsgen.shorthand.grammar import Reference, format_value, parse
from pdsgen.shorthand.sources import SENSOR_INSTRUMENTS, Source, load_source, to_datetime64

SourceLike = Source | str | os.PathLike[str]
_SHOW = 5  # how many failing values / candidate records an error message lists


@dataclass
class Resolution:
    """Resolved values: 0-d for a single value, 1-D with one value per record otherwise."""

    reference: Reference
    values: np.ndarray
    source: Source
    columns: tuple[str, ...]
    records: np.ndarray  # index of the record each value came from (same shape as values)
    variables: Mapping[str, object] = field(default_factory=dict)

    @property
    def scalar(self) -> bool:
        return self.values.ndim == 0

    @property
    def value(self) -> Any:
        """The single value as a Python scalar (ResolutionError if there are several)."""
        if not self.scalar:
            raise ResolutionError(
                f"{self.reference} resolves to {self.values.size} values, not one", path=str(self.source.path)
            )
        return self.values.item()

    @property
    def unit(self) -> str | None:
        units = {self.source.units.get(c) for c in self.columns}
        return units.pop() if len(units) == 1 else None


# ---------------------------------------------------------------------------- helpers


def _describe(ref: Reference) -> str:
    text = " ".join(ref.text.split())
    canon = str(ref)
    return canon if not text or text == canon else f"{text} (= {canon})"


def _fail(ref: Reference, source: Source | None, message: str) -> ResolutionError:
    return ResolutionError(f"{_describe(ref)}: {message}", path=str(source.path) if source else None)


def _fmt_vars(names: Sequence[str], columns: Sequence[np.ndarray], idx: np.ndarray) -> list[str]:
    out = []
    for i in idx[:_SHOW]:
        out.append("{" + ", ".join(f"{n}={format_value(c[i])}" for n, c in zip(names, columns, strict=True)) + "}")
    return out


def _record_text(source: Source, i: int, width: int) -> str:
    vals = [format_value(source.columns[n][i]) for n in source.names[:width]]
    return f"record {i + 1} ({', '.join(vals)})"


def _sensor_sources(ref: Reference, sources: list[Source]) -> list[Source]:
    if ref.sensor is None:
        return sources
    if ref.file_type == "dp":
        chosen = [s for s in sources if s.sensor == ref.sensor]
        if not chosen:
            have = ", ".join(f"{s.path.name} ({s.sensor or 'unknown type'})" for s in sources) or "none given"
            raise _fail(
                ref,
                None,
                f"no data product of sensor data type {ref.sensor} (data products: {have}; "
                "say which sensor a file holds with --sensor FILE=SENSOR / load_source(sensor=))",
            )
        return chosen
    # calibration files are per MIMI sensor: CPHA → CHEMS; files of unknown sensor serve any
    wanted = SENSOR_INSTRUMENTS.get(ref.sensor)
    chosen = [s for s in sources if not s.instruments or s.sensor == ref.sensor or (wanted and wanted in s.instruments)]
    if not chosen:
        have = ", ".join(f"{s.path.name} ({'/'.join(sorted(s.instruments))})" for s in sources) or "none given"
        raise _fail(ref, None, f"no calibration file for {ref.sensor} ({wanted or 'unknown sensor'}) among: {have}")
    return chosen


def _as_query(value: object) -> np.ndarray:
    arr = np.asarray(value)
    if arr.dtype.kind == "O":
        arr = arr.astype(str)
    if arr.ndim > 1:
        raise ResolutionError(f"variable values must be a scalar or 1-D, got shape {arr.shape}")
    return arr


def _try_float(values: np.ndarray) -> np.ndarray | None:
    try:
        return values.astype(np.float64)
    except (ValueError, TypeError):
        return None


def _common(fvals: np.ndarray, qvals: np.ndarray, ordered: bool, fold_case: bool) -> tuple[np.ndarray, np.ndarray] | str:
    """Bring record values and query values to one comparable dtype, or say why not."""
    fk, qk = fvals.dtype.kind, qvals.dtype.kind
    if fk == "M":
        try:
            return fvals.astype("datetime64[us]"), to_datetime64(qvals)
        except ValueError:
            return "is a time field but the value is not a time"
    if ordered and fk in "US":
        # text as an ordered key: numbers when both sides are numbers, else times
        f, q = _try_float(fvals), (qvals.astype(np.float64) if qk in "iufb" else _try_float(qvals))
        if f is not None and q is not None:
            return f, q
        try:
            return to_datetime64(fvals), to_datetime64(qvals)
        except ValueError:
            return "is text that is neither numbers nor times, so 'latest' has no order"
    if fk in "iu" and qk in "iu":
        return fvals.astype(np.int64), qvals.astype(np.int64)
    if fk in "iufb":
        q = qvals.astype(np.float64) if qk in "iufb" else _try_float(qvals)
        if q is None:
            return "is numeric but the value is not a number"
        return fvals.astype(np.float64), q
    # text field
    if qk in "iufb":
        f = _try_float(fvals)
        if f is not None:
            return f, qvals.astype(np.float64)
        if qk == "f" and np.all(np.mod(qvals, 1) == 0):
            qvals = qvals.astype(np.int64)
        qvals = qvals.astype(str)
    else:
        qvals = np.char.strip(qvals.astype(str))
    fvals = fvals.astype(str)
    if fold_case:
        return np.char.lower(fvals), np.char.lower(qvals)
    return fvals, qvals


def _codes(fvals: np.ndarray, qvals: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Order-preserving integer codes of record and query values in one space.

    Records are few, queries many: the distinct record values ``u`` are sorted and each
    query is placed by binary search (no sort of the queries). Record value ``u[i]``
    gets code ``2i+1``; a query equal to ``u[i]`` gets ``2i+1`` too, a query between
    ``u[i-1]`` and ``u[i]`` gets ``2i`` — so equality and order survive the coding.
    """
    uniq = np.unique(fvals)
    fcode = 2 * np.searchsorted(uniq, fvals) + 1
    if qvals.dtype.kind in "iu" and uniq.dtype.kind in "iu" and qvals.size > 1024:
        lo, hi = int(qvals.min()), int(qvals.max())
        if hi - lo < min(1 << 20, qvals.size):
            # integer queries of a small range: code every value of the range once,
            # then a gather per query (O(n), no binary search per query)
            _, table, _ = _codes(fvals, np.arange(lo, hi + 1, dtype=np.int64))
            return fcode.astype(np.int64), table[qvals - lo], 2 * uniq.size + 1
    pos = np.searchsorted(uniq, qvals)
    if uniq.size:
        found = uniq[np.minimum(pos, uniq.size - 1)] == qvals
    else:
        found = np.zeros(pos.shape, dtype=bool)
    return fcode.astype(np.int64), 2 * pos.astype(np.int64) + found, 2 * uniq.size + 1


def _combine(parts: list[tuple[np.ndarray, np.ndarray, int]]) -> tuple[np.ndarray, np.ndarray, int]:
    """Mixed-radix combination of several code pairs (lexicographic order kept),
    re-densified whenever the radix product would overflow int64."""
    if not parts:
        return None  # type: ignore[return-value]
    fk, qk, n = parts[0]
    fk, qk = fk.astype(np.int64), qk.astype(np.int64)
    for f2, q2, n2 in parts[1:]:
        if n * n2 >= 2**62:
            fk, qk, n = _codes(fk, qk)
        fk = fk * n2 + f2
        qk = qk * n2 + q2
        n = n * n2
    return fk, qk, n


# ---------------------------------------------------------------------------- main


def resolve(
    reference: str | Reference,
    *,
    dp: Sequence[SourceLike] = (),
    cdp: Sequence[SourceLike] = (),
    variables: Mapping[str, object] | None = None,
    bind: Mapping[str, str] | None = None,
    data: SourceLike | None = None,
    latest: Sequence[str] = (),
    one: bool = False,
    fold_case: bool = False,
) -> Resolution:
    """Resolve ``reference`` to values.

    ``variables`` binds names to a scalar or one value per record; ``bind`` maps a name
    to a column of ``data`` (default: the only data product given). ``latest`` names the
    variables matched in "latest at or before" mode. ``one`` asks for a single record
    even for a dp reference without variables. ``fold_case`` compares text
    case-insensitively (the purpose field ``sci`` vs ``SCI``).
    """
    ref = parse(reference) if isinstance(reference, str) else reference
    dps = [load_source(s) for s in _listed(dp)]
    cdps = [load_source(s) for s in _listed(cdp)]
    env = _environment(ref, variables or {}, bind or {}, data, dps)
    unknown_latest = [v for v in latest if v not in ref.row_variables]
    if unknown_latest:
        raise _fail(ref, None, f"'latest' names {unknown_latest}, which are not row variables of the reference")
    latest = tuple(dict.fromkeys((*latest, *ref.latest_variables)))  # (<=name) in the text, or the caller
    pool = dps if ref.file_type == "dp" else cdps
    if not pool:
        kind = "data product (--dp)" if ref.file_type == "dp" else "calibration file (--cdp)"
        raise _fail(ref, None, f"no {kind} given to resolve against")
    candidates = _sensor_sources(ref, pool)
    col_names, col_inverse = _column_names(ref, env)
    with_columns = []
    first_error: ResolutionError | None = None
    for src in candidates:
        try:
            actual = [src.find_column(c) for c in col_names]
        except ResolutionError as exc:
            first_error = first_error or exc
            continue
        with_columns.append((src, actual))
    if not with_columns:
        assert first_error is not None
        if len(candidates) == 1:
            raise _fail(ref, candidates[0], first_error.message)
        raise _fail(ref, None, f"no file has the column: {first_error}")
    results, errors = [], []
    for src, actual in with_columns:
        try:
            results.append(_resolve_in(ref, src, actual, col_inverse, env, tuple(latest), one, fold_case))
        except ResolutionError as exc:
            errors.append(exc)
    if len(results) == 1:
        return results[0]
    if not results:
        if len(errors) == 1:
            raise errors[0]
        raise _fail(ref, None, "no file matches: " + " | ".join(str(e) for e in errors))
    names = ", ".join(str(r.source.path) for r in results)
    raise _fail(ref, None, f"several files match ({names}); pass only the one meant")


def _listed(sources: SourceLike | Iterable[SourceLike]) -> list[SourceLike]:
    """One source or several: a lone path or Source is not iterated character by character."""
    if isinstance(sources, (str, os.PathLike, Source)):
        return [sources]
    return list(sources)


@dataclass
class _Env:
    values: dict[str, np.ndarray]  # name → 0-d or 1-D array
    length: int | None  # per-record length, None when all scalars


def _environment(ref: Reference, variables: Mapping[str, object], bind: Mapping[str, str] | None,
                 data: SourceLike | None, dps: Sequence[Source]) -> _Env:
    values: dict[str, np.ndarray] = {}
    if bind:
        if data is None:
            if len(dps) != 1:
                raise _fail(ref, None, f"bind needs the data product being processed: give exactly one (got {len(dps)})")
            data_src = dps[0]
        else:
            data_src = load_source(data)
        for name, column in bind.items():
            try:
                values[name] = data_src.column(column)
            except ResolutionError as exc:
                raise _fail(ref, data_src, f"binding ({name}): {exc.message}") from exc
    for name, value in variables.items():
        values[name] = _as_query(value)
    missing = [v for v in ref.variables if v not in values]
    if missing:
        hint = ", ".join(f"--var {m}=VALUE or --bind {m}=COLUMN" for m in missing)
        raise _fail(ref, None, f"unbound variable{'s' if len(missing) > 1 else ''} {missing} ({hint})")
    lengths = {values[v].shape[0] for v in ref.variables if values[v].ndim == 1}
    if len(lengths) > 1:
        shown = {v: values[v].shape[0] for v in ref.variables if values[v].ndim == 1}
        raise _fail(ref, None, f"per-record variables have different lengths: {shown}")
    return _Env(values, lengths.pop() if lengths else None)


def _column_names(ref: Reference, env: _Env) -> tuple[list[str], np.ndarray | None]:
    """Unique column names the reference needs, and for each value which one (or None)."""
    if ref.column.literal is not None:
        return [ref.column.literal], None
    cvars = ref.column.variables
    arrays = [env.values[v] for v in cvars]
    if all(a.ndim == 0 for a in arrays):
        return [ref.column.render({v: a.item() for v, a in zip(cvars, arrays, strict=True)})], None
    n = env.length
    assert n is not None  # some variable is per record (not all scalars)
    if len(cvars) == 1:
        uniq, inverse = _unique_inverse(np.broadcast_to(arrays[0], (n,)))
        return [ref.column.render({cvars[0]: u}) for u in uniq], inverse
    codes = []
    for a in arrays:
        full = np.broadcast_to(a, (n,))
        _, first, inv = np.unique(full, return_index=True, return_inverse=True)
        codes.append((inv.reshape(-1), first))
    if len(codes) == 1:
        inverse, first = codes[0]
    else:
        key = np.zeros(n, dtype=np.int64)
        for inv, first_k in codes:
            key = key * len(first_k) + inv
        _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
        inverse = inverse.reshape(-1)
    names = []
    for i in first:  # one per distinct combination, not per record
        names.append(ref.column.render({v: np.broadcast_to(a, (n,))[i] for v, a in zip(cvars, arrays, strict=True)}))
    return names, inverse


def _unique_inverse(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """np.unique(values, return_inverse=True), in O(n) for integers of a small range
    (step numbers, channel ids) — the common case for a variable inside a column name."""
    if values.dtype.kind in "iu" and values.size:
        lo, hi = int(values.min()), int(values.max())
        if hi - lo < 1 << 20:
            offset = values - lo
            present = np.bincount(offset, minlength=hi - lo + 1) > 0
            codes = np.cumsum(present) - 1
            return np.flatnonzero(present) + lo, codes[offset]
    uniq, inverse = np.unique(values, return_inverse=True)
    return uniq, inverse.reshape(-1)


def _resolve_in(ref: Reference, src: Source, colnames: list[str], col_inverse: np.ndarray | None, env: _Env,
                latest: Sequence[str], one: bool, fold_case: bool) -> Resolution:
    nfields = len(src.names)
    if len(ref.rows) > nfields:
        raise _fail(ref, src, f"{len(ref.rows)} row values but the file has only {nfields} fields")
    mask = _literal_mask(src, ref, fold_case)
    joins = [(i, s.text, env.values[s.text]) for i, s in enumerate(ref.rows) if s.variable]
    cands = np.flatnonzero(mask)
    if cands.size == 0:
        lits = [(i, s.text) for i, s in enumerate(ref.rows) if not s.variable]
        detail = "; ".join(
            f"field {i + 1} {src.names[i]!r} = {t!r} (values there: {_sample(src.columns[src.names[i]])})"
            for i, t in lits
        )
        hint = ""
        if not fold_case and lits and np.any(_literal_mask(src, ref, True)):
            hint = " (records match when case is ignored: use ignore_case / --ignore-case)"
        raise _fail(ref, src, f"no record matches {detail}{hint}" if detail else "the file has no records")
    if joins:
        idx = _join(ref, src, cands, joins, env, latest, fold_case)
    elif ref.file_type == "dp" and not one:
        idx = cands
        if col_inverse is not None and col_inverse.shape[0] != cands.size:
            raise _fail(
                ref,
                src,
                f"per-record column variable has {col_inverse.shape[0]} values but {cands.size} records match",
            )
    else:
        if cands.size > 1:
            shown = "; ".join(_record_text(src, int(i), len(ref.rows) + 3) for i in cands[:_SHOW])
            more = f" and {cands.size - _SHOW} more" if cands.size > _SHOW else ""
            raise _fail(ref, src, f"{cands.size} records match where one value is needed: {shown}{more}")
        idx = np.full(env.length, cands[0]) if env.length is not None else np.asarray(cands[0])
    values = _gather(src, colnames, col_inverse, idx)
    used = {v: env.values[v] for v in ref.variables}
    return Resolution(ref, values, src, tuple(colnames), idx, used)


def _literal_mask(src: Source, ref: Reference, fold_case: bool) -> np.ndarray:
    """Records whose fields equal every "literal" row value of the reference."""
    mask = np.ones(src.nrows, dtype=bool)
    for i, sel in enumerate(ref.rows):
        if sel.variable:
            continue
        common = _common(src.columns[src.names[i]], np.asarray([sel.text]), False, fold_case)
        if isinstance(common, str):
            mask[:] = False  # a text literal never equals a number field
        else:
            mask &= common[0] == common[1][0]
    return mask


def _sample(values: np.ndarray) -> str:
    uniq = np.unique(values[: 10_000])
    shown = ", ".join(repr(format_value(u)) for u in uniq[:8])
    return shown + (", ..." if uniq.size > 8 else "")


#: (field position, variable name, query values) of each variable row value
_Joins = list[tuple[int, str, np.ndarray]]


def _join(ref: Reference, src: Source, cands: np.ndarray, joins: _Joins, env: _Env, latest: Sequence[str],
          fold_case: bool) -> np.ndarray:
    """Record index for every query (vectorised): exact selectors must be equal, latest
    selectors pick the greatest key not after the query."""
    n = env.length
    exact_parts: list[tuple[np.ndarray, np.ndarray, int]] = []
    latest_parts: list[tuple[np.ndarray, np.ndarray, int]] = []
    for i, var, q in joins:
        fvals = src.columns[src.names[i]][cands]
        qvals = np.broadcast_to(q, (n,)) if n is not None else q.reshape(1)
        ordered = var in latest
        common = _common(fvals, np.asarray(qvals), ordered, fold_case)
        if isinstance(common, str):
            raise _fail(ref, src, f"field {i + 1} {src.names[i]!r} {common} of ({var}) = {format_value(qvals[0])!r}")
        (latest_parts if ordered else exact_parts).append(_codes(*common))
    nq = 1 if n is None else n
    ex = _combine(exact_parts) if exact_parts else (np.zeros(cands.size, np.int64), np.zeros(nq, np.int64), 1)
    lt = _combine(latest_parts) if latest_parts else (np.zeros(cands.size, np.int64), np.zeros(nq, np.int64), 1)
    fe, qe, ne = ex
    ft, qt, nt = lt
    # a lookup grid only pays when it is small next to the work itself
    budget = min(_LUT_CELLS, 8 * (fe.size + qe.size) + 1024)
    if ne * nt > budget:
        fe, qe, ne = _densify(*ex)
        ft, qt, nt = _densify(*lt)
    if ne * nt <= budget:
        chosen, count, cell_index = _lookup_table(fe, qe, ne, ft, qt, nt)
        idx_in_cands = cell_index[np.maximum(chosen, 0)]
    else:
        chosen, count, idx_in_cands = _sorted_search(fe * nt + ft, qe * nt + qt, nt if latest_parts else None)
    bad = np.flatnonzero(count != 1)
    if bad.size:
        _join_error(ref, src, cands, joins, env, latest, count, bad, fe * nt + ft, chosen, fold_case)
    idx: np.ndarray = cands[idx_in_cands]
    return idx if n is not None else idx.reshape(())


#: Largest key space (exact keys x latest keys) resolved through a lookup table.
_LUT_CELLS = 1 << 21


def _densify(fk: np.ndarray, qk: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Shrink a sparse key space to at most 2*(distinct record keys)+1 codes."""
    if n <= 2 * fk.size + 1:
        return fk, qk, n
    return _codes(fk, qk)


def _lookup_table(fe: np.ndarray, qe: np.ndarray, ne: int, ft: np.ndarray, qt: np.ndarray,
                  nt: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Direct-addressed join: a grid of (exact key, latest key) cells holding how many
    records fall in each and one record's position; "latest at or before" is a running
    maximum along the latest axis. Work is O(records + queries + cells)."""
    cells = fe * nt + ft
    counts = np.bincount(cells, minlength=ne * nt)
    cell_index = np.zeros(ne * nt, dtype=np.int64)
    cell_index[cells] = np.arange(cells.size)
    if nt == 1:  # exact keys only
        chosen = qe * nt
    else:
        grid = np.where(counts.reshape(ne, nt) > 0, np.arange(nt), -1)
        latest_t = np.maximum.accumulate(grid, axis=1).reshape(-1)
        t_star = latest_t[qe * nt + qt]
        chosen = np.where(t_star >= 0, qe * nt + t_star, -1)
    count = np.where(chosen >= 0, counts[np.maximum(chosen, 0)], 0)
    return chosen, count, cell_index


def _sorted_search(fkey: np.ndarray, qkey: np.ndarray, nt: int | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The same join for large key spaces: binary search in the sorted record keys."""
    order = np.argsort(fkey, kind="stable")
    sk = fkey[order]
    if sk.size == 0:
        zeros = np.zeros(qkey.shape, dtype=np.int64)
        return zeros - 1, zeros, zeros
    if nt is None:
        pos = np.minimum(np.searchsorted(sk, qkey, "left"), sk.size - 1)
        ok = sk[pos] == qkey
    else:
        pos = np.searchsorted(sk, qkey, "right") - 1
        ok = pos >= 0
        pos = np.maximum(pos, 0)
        ok &= (sk[pos] // nt) == (qkey // nt)
    run = np.searchsorted(sk, sk, "right") - np.searchsorted(sk, sk, "left")
    count = np.where(ok, run[pos], 0)
    chosen = np.where(ok, sk[pos], -1)
    return chosen, count, order[pos]


def _case_hint(src: Source, cands: np.ndarray, joins: _Joins, qcols: list[np.ndarray], rows: np.ndarray) -> str:
    """A hint when failing text variables would match if case were ignored."""
    for (i, _v, _q), qc in zip(joins, qcols, strict=True):
        fvals = src.columns[src.names[i]][cands]
        if fvals.dtype.kind not in "UO":
            continue
        q = np.unique(np.asarray(qc)[rows].astype(str))
        f = np.unique(fvals.astype(str))
        missing = q[~np.isin(q, f)]
        if missing.size and np.isin(np.char.lower(missing), np.char.lower(f)).any():
            return " (records match when case is ignored: use ignore_case / --ignore-case)"
    return ""


def _join_error(ref: Reference, src: Source, cands: np.ndarray, joins: _Joins, env: _Env, latest: Sequence[str],
                count: np.ndarray, bad: np.ndarray, fkey: np.ndarray, chosen: np.ndarray,
                fold_case: bool = False) -> NoReturn:
    names = [var for _i, var, _q in joins]
    n = env.length
    qcols = [np.broadcast_to(q, (n,)) if n is not None else q.reshape(1) for _i, _v, q in joins]
    zero = bad[count[bad] == 0]
    many = bad[count[bad] > 1]
    mode = f" ({', '.join(latest)} matched latest at or before)" if latest else ""
    if zero.size:
        # report distinct failing combinations, not every record
        shown = _fmt_vars(names, qcols, _distinct(qcols, zero))
        fields = "; ".join(
            f"{src.names[i]!r}: {_sample(src.columns[src.names[i]][cands])}" for i, _v, _q in joins
        )
        per = f" ({zero.size} of {count.size} records)" if n is not None else ""
        hint = "" if fold_case else _case_hint(src, cands, joins, qcols, zero)
        raise _fail(ref, src, f"no record matches {', '.join(shown)}{per}{mode}{hint}; values in the file: {fields}")
    first = many[0]
    shown = _fmt_vars(names, qcols, np.asarray([first]))
    same = np.flatnonzero(fkey == chosen[first])
    recs = [int(cands[r]) for r in same]
    listed = "; ".join(_record_text(src, r, len(ref.rows) + 3) for r in recs[:_SHOW])
    raise _fail(ref, src, f"{count[first]} records match {shown[0]}{mode} where one value is needed: {listed}")


def _distinct(qcols: list[np.ndarray], rows: np.ndarray) -> np.ndarray:
    """First row of each distinct query combination among ``rows`` (for messages)."""
    seen: dict[tuple[str, ...], int] = {}
    for r in rows[: 10_000]:
        key = tuple(format_value(c[r]) for c in qcols)
        seen.setdefault(key, int(r))
        if len(seen) >= _SHOW:
            break
    return np.asarray(list(seen.values()))


def _gather(src: Source, colnames: list[str], inverse: np.ndarray | None, idx: np.ndarray) -> np.ndarray:
    """Values at record ``idx`` from column ``colnames[inverse]`` (vectorised per column)."""
    if inverse is None:
        return np.asarray(src.columns[colnames[0]][idx])
    cols = [src.columns[c] for c in colnames]
    dtype = np.result_type(*cols) if all(c.dtype.kind in "iufb" for c in cols) else None
    if dtype is None:
        kinds = {c.dtype.kind for c in cols}
        dtype = np.result_type(*cols) if len(kinds) == 1 else np.dtype(object)
    if idx.ndim == 1 and idx.size and np.all(idx == idx[0]):
        # one record (calibration constant) for all: a small lookup table per name
        table = np.array([c[idx[0]] for c in cols], dtype=dtype)
        picked: np.ndarray = table[inverse]
        return picked
    out = np.empty(idx.shape, dtype=dtype)
    order = np.argsort(inverse, kind="stable")
    bounds = np.searchsorted(inverse[order], np.arange(len(cols) + 1))
    for k, col in enumerate(cols):
        sel = order[bounds[k] : bounds[k + 1]]
        out[sel] = col[idx[sel]]
    return out
