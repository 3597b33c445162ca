"""The check that decides whether ``features()`` serves on numpy columns
(``builder.features.columnar``), run after raw records were verified (``verify_features``).

On the same training rows, all at once and each alone (decoded as the service decodes a request,
and as a DataFrame), and on probes (a training row with each column missing in turn, each column
of strings given a value the notebook never saw, each number 0): the numpy replay must give what
pandas gives, identically (type, dtypes, values, index). On the training rows it must also run
(else it would never serve: the reason names the first statement it does not cover); on a probe
it may decline, as pandas then replays that request. Any difference: pandas serves every request.
"""

from __future__ import annotations

from ..features.columnar import USED
from ..features.fast_forms import same

UNSEEN = "\x00nb2service unseen"


def check_columnar(replay, schema, check: dict, where=lambda exc: "") -> dict:
    """``{"status": "used" | "not used", "reason", "rows", "probes"}`` for metadata.json;
    ``where(exc)``: the statement of features.py an exception came from, for the reason."""
    records, index = check["records"], check["index"]
    probes = _probes(schema, records[0]) if records else []
    try:
        for what, build in _inputs(schema, records, index):
            problem = _differs(replay, build, what, must_run=True, where=where)
            if problem:
                return {"status": "not used", "reason": problem}
        problem = _columns_differ(replay, lambda: _decoded(schema, records))
        if problem:
            return {"status": "not used", "reason": problem}
        for what, record in probes:
            problem = _differs(replay, lambda record=record: _decoded(schema, [record]), what, must_run=False)
            if problem:
                return {"status": "not used", "reason": problem}
    finally:
        schema.frames = True
    return {"status": USED, "rows": len(records), "probes": len(probes),
            "reason": f"identical to pandas on {len(records)} training rows (all at once and each alone) "
                      f"and {len(probes)} probes (missing, unseen and zero values)"}


def _inputs(schema, records: list, index: list):
    """``(what, a function making the input)``: the batch as a DataFrame and decoded, each row decoded."""
    def frame(rows, labels):
        schema.frames = True
        made = schema.from_records(rows)
        made.index = labels
        return made

    yield "all rows at once", lambda: frame(records, index)
    yield "all rows at once, decoded as the service decodes a request", lambda: _decoded(schema, records)
    for i in range(len(records)):
        yield f"row {index[i]!r} alone", lambda i=i: _decoded(schema, records[i:i + 1])


def _decoded(schema, rows: list):
    schema.frames = False
    return schema.from_records(rows)


def _probes(schema, record: dict) -> list:
    """``(what, record)``: ``record`` with one column missing, unseen (strings) or 0 (numbers)."""
    probes = []
    for column in schema.columns:
        name = column.name
        probes.append((f"a probe with {name!r} missing", {**record, name: None}))
        if column.type == "string":
            probes.append((f"a probe with {name!r} a value never seen", {**record, name: UNSEEN}))
        elif column.type in ("integer", "number"):
            probes.append((f"a probe with {name!r} 0", {**record, name: 0}))
    return probes


def _differs(replay, build, what: str, must_run: bool, where=lambda exc: "") -> str | None:
    """Why the numpy replay of ``build()`` cannot stand for pandas' (None when it can)."""
    try:
        want = replay.features(build())
    except Exception as exc:  # noqa: BLE001
        want = exc
    try:
        got = replay.on_columns(build())
    except Exception as exc:  # noqa: BLE001
        if must_run:
            return f"{what}: {type(exc).__name__}: {exc}{where(exc)}"
        return None  # declined: pandas replays such a request
    if isinstance(want, Exception):
        return f"{what}: pandas raised {type(want).__name__}, the numpy replay did not"
    if not same(want, got):
        return f"{what}: the numpy replay's result differs from pandas'"
    return None


def _columns_differ(replay, build) -> str | None:
    """For a model fitted on a DataFrame: the ``{column: array}`` the numpy replay hands the fast
    path must be the columns of the frame it makes, as the service takes them apart."""
    frame = replay.on_columns(build())
    if not hasattr(frame, "columns"):
        return None
    columns = replay.on_columns(build(), as_columns=True)
    want = {str(name): frame[name].to_numpy() for name in frame.columns}
    if list(columns) != list(want) or not all(same(want[k], _as_held(columns[k])) for k in want):
        return "all rows at once: the columns for the fast path differ from the frame's"
    return None


def _as_held(array):
    """An object array of strings as a DataFrame's column gives it back (``to_numpy``)."""
    import pandas as pd

    return pd.Series(array).to_numpy() if array.dtype.kind == "O" else array
