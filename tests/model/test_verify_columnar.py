"""The check that decides whether requests are replayed on numpy columns
(builder/model/verify_columnar.py): it uses them only where every training row ran and matched
pandas, declines them when a statement has no numpy form, refuses them when a probe differs."""

from __future__ import annotations

import numpy as np
import pandas as pd

import tests.features.test_columnar as columnar_tests
from builder.features.columnar import Replay, Table, table_of
from builder.model.verify_columnar import check_columnar


class Schema:
    """The part of InputSchema the check uses."""

    class Col:
        def __init__(self, name, type_):
            self.name, self.type = name, type_

    def __init__(self):
        self.frames = True
        self.columns = [self.Col("age", "integer"), self.Col("sex", "string")]

    def from_records(self, records):
        data = {"age": np.array([r["age"] if r["age"] is not None else np.nan for r in records]),
                "sex": np.array([r["sex"] for r in records], dtype=object)}
        return pd.DataFrame(data) if self.frames else data


def check_with(statement):
    """check_columnar on a features() made of ``statement`` run on pandas or on columns."""
    frozen = columnar_tests.FakeFrozen()

    def features(raw):
        if frozen.on:
            t = table_of({k: np.array(v, copy=True) for k, v in dict(raw).items()} if isinstance(raw, dict)
                         else {k: raw[k].to_numpy(copy=True) for k in raw.columns}, len(raw["age"]))
            return np.asarray(statement(t), dtype="float64")
        df = raw if isinstance(raw, pd.DataFrame) else pd.DataFrame(raw)
        return np.asarray(statement(df), dtype="float64")

    records = [{"age": a, "sex": s} for a, s in [(20, "male"), (40, "female"), (60, "male")]]
    return check_columnar(Replay(features, frozen, False), Schema(),
                          {"records": records, "index": [10, 11, 12]})


def test_the_check_uses_the_columns_only_where_every_row_and_probe_gave_pandas_result():
    good = check_with(lambda t: t["age"] * 2 + (t["sex"] == "male"))
    assert good["status"] == "used" and good["rows"] == 3 and good["probes"] == 4, good
    declined = check_with(lambda t: t["age"] // 7)  # no numpy form: pandas would serve every request
    assert declined["status"] == "not used" and "all rows at once" in declined["reason"], declined


def test_the_check_refuses_columns_that_differ_from_pandas_on_a_probe():
    def differs_when_missing(t):
        if isinstance(t, Table) and np.isnan(t["age"].values.astype(float)).any():
            return t["age"].fillna(0)  # pandas below gives NaN
        return t["age"] * 1.0

    refused = check_with(differs_when_missing)
    assert refused["status"] == "not used" and "'age' missing" in refused["reason"], refused
