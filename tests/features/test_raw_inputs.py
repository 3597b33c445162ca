"""Raw records served through the notebook's own feature engineering (issue 15), for real: the
CLI builds each repo, gunicorn serves it, HTTP clients send the records as the CSV holds them, and
the answers are compared with the notebook's own model, run here from the notebook's cells."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import matplotlib
import nbformat
import numpy as np
import pandas as pd
import pytest
import requests
from sklearn.model_selection import train_test_split

from tests.conftest import EXAMPLES
from tests.features.repos import REPOS
from tests.serve.live import Server

NB2SERVICE = str(Path(sys.executable).parent / "nb2service")
pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def repos(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("feature-repos")
    made = {"insurance-costs": EXAMPLES / "insurance-costs"}
    for name, write in REPOS.items():
        write(root / name)
        made[name] = root / name
    return made


@pytest.fixture(scope="session")
def built(repos, tmp_path_factory) -> dict[str, tuple[Path, dict, str]]:
    """Each repo built once, two at a time: ``{name: (artifact, metadata, build log)}``."""
    out = tmp_path_factory.mktemp("feature-artifacts")

    def build(name):
        proc = subprocess.run([NB2SERVICE, "build", str(repos[name]), "-o", str(out / name), "--no-install"],
                              capture_output=True, text=True, timeout=900)
        assert proc.returncode == 0, f"{name} failed to build:\n{proc.stderr[-4000:]}"
        return name, (out / name, json.loads((out / name / "metadata.json").read_text()), proc.stdout + proc.stderr)

    with ThreadPoolExecutor(2) as pool:
        return dict(pool.map(build, repos))


@pytest.fixture(scope="module")
def servers(built, tmp_path_factory):
    log_dir = tmp_path_factory.mktemp("feature-logs")
    running = {}
    for name in ("insurance-costs", "loans", "wine-bundled", "diabetes-arrays"):
        server = Server(built[name][0], log_dir / f"{name}.log")
        server.wait_ready()
        running[name] = server
    yield running
    for server in running.values():
        server.stop()


def notebook_run(repo: Path) -> dict:
    """The notebook's cells run here, in this process, in the repo's folder: its variables."""
    matplotlib.use("Agg")
    path = next(repo.glob("*.ipynb"))
    namespace: dict = {}
    cwd = os.getcwd()
    os.chdir(repo)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the notebook's own deprecations are not this test's concern
            for cell in nbformat.read(path, as_version=4).cells:
                if cell.cell_type == "code":
                    exec(compile(cell.source, str(path), "exec"), namespace)  # noqa: S102
    finally:
        os.chdir(cwd)
    return namespace


def raw_records(table: pd.DataFrame, index, columns: list[str]) -> list[dict]:
    rows = table.loc[index, columns].astype(object).where(table.loc[index, columns].notna(), None)
    return [{k: (v.item() if hasattr(v, "item") else v) for k, v in r.items()} for r in rows.to_dict("records")]


def test_the_insurance_example_serves_raw_records_verified_with_the_notebooks_predictions(built, repos, servers):
    folder, meta, log = built["insurance-costs"]
    info = meta["features"]
    assert info["status"] == "verified", info
    assert [c["name"] for c in meta["inputs"]] == ["age", "sex", "bmi", "children", "smoker", "region"]
    inputs = {c["name"]: c for c in meta["inputs"]}
    assert inputs["region"]["categories"] == ["northeast", "northwest", "southeast", "southwest"]
    assert inputs["bmi"]["nullable"] is True and inputs["age"]["type"] == "integer"
    assert meta["engineered"]["input_kind"] == "array" and len(meta["engineered"]["inputs"]) == 12
    assert set(meta["examples"][0]) == set(inputs)
    code = (folder / "features.py").read_text()
    assert "df['smoker'] = _f.map('p" in code and "df['smoker'], {'yes': 1, 'no': 0})" in code  # pandas' map, or its checked fast form
    assert "def bmi_category(bmi):" in code and "scaler.transform(X_train)" in code
    assert "plt." not in code and "print(" not in code and "y_test" not in code and "lr" not in code
    assert "features.py" in log and "raw records, 6 columns" in log and "/predict/engineered" in log
    assert {s["call"] for s in info["fast_forms"] if s["used"]} == {"map", "drop", "apply", "get_dummies", "transform"}
    assert "faster forms for 6 of 6 calls" in log
    # requests are replayed on numpy columns, checked identical to pandas on the rows and the probes
    assert info["columnar"]["status"] == "used" and info["columnar"]["rows"] == 500, info["columnar"]
    assert info["columnar"]["probes"] == 12 and "requests replayed on numpy columns" in log

    ns = notebook_run(repos["insurance-costs"])
    table = pd.read_csv(repos["insurance-costs"] / "insurance.csv")
    index = ns["y_train"].index[:200]
    want = ns["model"].predict(ns["X_train"][:200])
    records = raw_records(table, index, list(inputs))
    server = servers["insurance-costs"]
    got = requests.post(server.url + "/predict", json={"instances": records}, timeout=30).json()["predictions"]
    np.testing.assert_allclose(got, want, rtol=1e-6)
    one = requests.post(server.url + "/predict", json=records[7], timeout=30).json()["predictions"]
    np.testing.assert_allclose(one, want[7:8], rtol=1e-6)
    # a missing BMI is filled with the training median, as the notebook did
    missing = {**records[0], "bmi": None}
    assert requests.post(server.url + "/predict", json=missing, timeout=30).status_code == 200
    # the engineered inputs stay callable
    engineered = requests.post(server.url + "/predict/engineered", json={"instances": ns["X_train"][:3].tolist()},
                               timeout=30).json()["predictions"]
    np.testing.assert_allclose(engineered, want[:3], rtol=1e-6)
    # every protocol takes the raw columns
    mlflow = requests.post(server.url + "/invocations", json={"dataframe_records": records[:3]}, timeout=30)
    np.testing.assert_allclose(mlflow.json()["predictions"], want[:3], rtol=1e-6)
    v1 = requests.post(server.url + f"/v1/models/{meta['name']}:predict", json={"instances": records[:3]}, timeout=30)
    np.testing.assert_allclose(v1.json()["predictions"], want[:3], rtol=1e-6)
    spec = requests.get(server.url + "/openapi.json", timeout=30).json()
    assert "region" in json.dumps(spec) and "smoker" in json.dumps(spec)
    bad = requests.post(server.url + "/predict", json={**records[0], "age": "old"}, timeout=30)
    assert bad.status_code == 400 and bad.json()["field"] == "age"


def test_label_encoders_per_column_a_merge_and_frozen_means_serve_raw_records(built, repos, servers):
    folder, meta, _ = built["loans"]
    info = meta["features"]
    assert info["status"] == "verified", info
    names = [c["name"] for c in meta["inputs"]]
    assert "loan_id" not in names and "defaulted" not in names and "loan_id" in info["not_read"]
    assert {"branch_id", "income", "employment", "purpose", "has_guarantor"} <= set(names)
    code = (folder / "features.py").read_text()
    assert "_f.table(" in code and "_f.stat(" in code and "le = _f.fitted(" in code
    # a merge has no numpy form: pandas replays every request, and the build says which statement
    assert info["columnar"]["status"] == "not used" and "merge(branches" in info["columnar"]["reason"]
    ns = notebook_run(repos["loans"])
    table = pd.read_csv(repos["loans"] / "data" / "loans.csv")
    index = ns["X_train_s"].index[:150]
    want = ns["clf"].predict_proba(ns["X_train_s"].loc[index])
    records = raw_records(table, index, names)
    server = servers["loans"]
    body = requests.post(server.url + "/predict", json={"instances": records}, timeout=30).json()
    got = np.array([[row[str(c)] for c in ns["clf"].classes_] for row in body["probabilities"]])
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-9)
    # a record whose income is missing gets the training mean, as the notebook gave it
    assert requests.post(server.url + "/predict", json={**records[0], "income": None}, timeout=30).status_code == 200


def test_a_feature_computed_over_the_whole_table_falls_back_saying_why(built):
    _, meta, log = built["houses-groupby"]
    info = meta["features"]
    assert info["status"] == "not verified"
    assert "alone" in info["reason"] and "city_mean_size" in info["reason"] and "groupby" in info["reason"]
    assert "engineered" not in meta
    assert [c["name"] for c in meta["inputs"]][:3] == ["size", "rooms", "city_mean_size"]
    assert "not verified" in log


def test_a_pipeline_doing_its_preprocessing_inside_scikit_learn_is_unchanged(built):
    folder, meta, _ = built["pipeline-inside"]
    assert meta["features"]["status"] == "not needed"
    assert [c["name"] for c in meta["inputs"]] == ["plan", "seats", "usage"]
    assert "engineered" not in meta and not (folder / "features.py").exists()


def test_a_bundled_dataset_loaded_as_a_frame_serves_its_columns_and_a_model_fitted_on_values_its_predictions(
        built, repos, servers):
    folder, meta, _ = built["wine-bundled"]
    info = meta["features"]
    assert info["status"] == "verified", info
    names = [c["name"] for c in meta["inputs"]]
    assert names[:2] == ["alcohol", "malic_acid"] and "target" not in names
    assert {"ash", "magnesium", "target"} <= set(info["not_read"]) and "load_wine(as_frame=True)" in info["table"]["statement"]
    code = (folder / "features.py").read_text()
    assert "data = _f.bundle('t" in code and "df = data.frame" in code and "model_input = X_train.values" in code
    ns = notebook_run(repos["wine-bundled"])
    from sklearn.datasets import load_wine

    table = load_wine(as_frame=True).frame
    for part in ("train", "test"):  # rows it was fitted on, and rows it never saw
        rows = ns[f"X_{part}"]
        want = ns["clf"].predict_proba(rows.values)
        body = requests.post(servers["wine-bundled"].url + "/predict",
                             json={"instances": raw_records(table, rows.index, names)}, timeout=30).json()
        got = np.array([[row[str(c)] for c in ns["clf"].classes_] for row in body["probabilities"]])
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)


def test_a_model_fitted_on_a_scaled_numpy_matrix_of_a_bundled_array_dataset_serves_raw_records(built, repos, servers):
    folder, meta, log = built["diabetes-arrays"]
    info = meta["features"]
    assert info["status"] == "verified", info
    assert [c["name"] for c in meta["inputs"]] == ["age", "bmi", "bp", "s5"]
    assert meta["engineered"]["input_kind"] == "array" and len(meta["engineered"]["inputs"]) == 5
    code = (folder / "features.py").read_text()
    assert "np.column_stack(" in code and "X_train = _f.rows('s" in code
    assert "scaler = _f.fitted('f" in code and "model_input = scaler.transform(X_train)" in code
    assert "raw records, 4 columns" in log
    ns = notebook_run(repos["diabetes-arrays"])
    from sklearn.datasets import load_diabetes

    data = load_diabetes()
    table = pd.DataFrame(data.data, columns=data.feature_names)
    # which rows of the table the notebook's arrays hold: its split, made on the table itself
    np.random.seed(7)
    train, test = train_test_split(table, test_size=0.2)
    np.testing.assert_array_equal(ns["X_train"][:, 0], train["age"].to_numpy())
    want = ns["model"].predict(ns["scaler"].transform(ns["X_test"]))
    records = raw_records(table, test.index, ["age", "bmi", "bp", "s5"])
    got = requests.post(servers["diabetes-arrays"].url + "/predict", json={"instances": records},
                        timeout=30).json()["predictions"]
    np.testing.assert_allclose(got, want, rtol=1e-9)
    one = requests.post(servers["diabetes-arrays"].url + "/predict", json=records[3], timeout=30).json()["predictions"]
    np.testing.assert_allclose(one, want[3:4], rtol=1e-9)


def test_an_array_made_after_rows_were_dropped_is_not_matched_by_position_and_falls_back_saying_why(built):
    folder, meta, log = built["measures-dropped-then-array"]
    info = meta["features"]
    assert info["status"] == "not replayed"
    assert "275 rows" in info["reason"] and "has 300" in info["reason"] and "dropped" in info["reason"]
    assert meta["input_kind"] == "array" and len(meta["inputs"]) == 3 and "engineered" not in meta
    assert not (folder / "features.py").exists() and "not replayed" in log


def test_requests_replayed_on_numpy_columns_answer_as_pandas_on_values_the_notebook_never_saw(built):
    """The insurance service replays requests on numpy columns: on records unlike any training row
    (an unseen region, a missing BMI or sex, a BMI of 0, several rows) the model's input is what
    pandas' replay makes of them, identically."""
    from builder.model import ServedModel
    from builder.features.fast_forms import same

    folder, meta, _ = built["insurance-costs"]
    model = ServedModel.load(folder)
    assert model.features.columnar
    base = meta["examples"][0]
    odd = [{**base, "region": "atlantis"}, {**base, "bmi": None}, {**base, "sex": None}, {**base, "bmi": 0},
           {**base, "smoker": "sometimes", "children": 0}]
    for records in [[r] for r in odd] + [odd, meta["examples"]]:
        decoded = model.schema.from_records(records)
        want, got = model.features.features(decoded), model.features.on_columns(decoded)
        assert same(want, got), records


def test_a_value_the_notebooks_statements_cannot_take_is_a_400_naming_its_column(built, tmp_path):
    """Shaped like public Titanic notebooks: ``.map({'S': 0, 'C': 1, 'Q': 2}).astype(int)`` fails on a
    port the map lacks. The caller gets a 400 naming the column, its value and what training saw,
    as strict mode words it, not a 500."""
    folder, meta, _ = built["voyage-map-astype"]
    assert meta["features"]["status"] == "verified", meta["features"]
    example = meta["examples"][0]
    server = Server(folder, tmp_path / "voyage.log")
    server.wait_ready()
    try:
        assert requests.post(server.url + "/predict", json=example, timeout=30).status_code == 200
        bad = requests.post(server.url + "/predict", json={"instances": [example, {**example, "Embarked": "X"}]},
                            timeout=30)
        assert bad.status_code == 400, bad.text
        body = bad.json()
        assert body["field"] == "Embarked" and "row 1: 'X'" in body["error"], body
        assert "feature statements fail" in body["error"] and "'C', 'Q', 'S'" in body["error"], body
    finally:
        server.stop()
