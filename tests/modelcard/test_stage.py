"""The build's report stage: which plots for which evaluation, where they go, what is recorded."""

from __future__ import annotations

import json
import shutil
import sys
import xml.etree.ElementTree as ET

from builder.modelcard import card
from builder.modelcard.stage import write_report

from .conftest import build_env, metadata

NS = {"s": "http://www.w3.org/2000/svg"}


def names(artifact) -> list[str]:
    return [p["name"] for p in metadata(artifact)["report"]["plots"]]


def test_a_classifier_gets_its_confusion_matrix_roc_curves_and_feature_importances(reported):
    artifact = reported["forest"]
    meta = metadata(artifact)
    assert names(artifact) == ["confusion_matrix", "roc_curve", "feature_importances"]
    for plot in meta["report"]["plots"]:
        assert (artifact / plot["file"]).is_file()
    matrix = ET.parse(artifact / "report" / "confusion_matrix.svg").getroot()
    counts = [int(t.text) for t in matrix.findall(".//s:text[@class='cell']", NS)]
    assert counts == [v for row in meta["evaluation"]["confusion_matrix"]["matrix"] for v in row]
    bars = ET.parse(artifact / "report" / "feature_importances.svg").getroot()
    labels = {t.text for t in bars.iter("{http://www.w3.org/2000/svg}text")}
    assert {"sepal_length", "petal_length", "petal_width"} <= labels
    assert meta["report"]["feature_importances"] == "feature_importances_ of RandomForestClassifier"
    assert meta["report"]["notebooks"] == [{"path": "train.ipynb", "file": "report/notebook-0.html"}]
    assert meta["report"]["problems"] == []


def test_a_regressor_gets_predicted_vs_actual_and_residuals_and_no_importances(reported):
    meta = metadata(reported["ridge"])
    assert names(reported["ridge"]) == ["predicted_vs_actual", "residuals"]
    assert meta["report"]["feature_importances"] == "Ridge has no feature_importances_"
    points = ET.parse(reported["ridge"] / "report" / "predicted_vs_actual.svg").getroot().findall(".//s:circle", NS)
    assert len(points) == meta["evaluation"]["data"]["rows"] == 50


def test_figures_on_training_data_say_so_everywhere(reported):
    meta = metadata(reported["training"])
    assert all("training data" in p["title"] for p in meta["report"]["plots"] if p["name"] != "feature_importances")
    shown = card.evaluation(meta)
    assert shown["training"] and shown["label"].startswith("on training data, not a test score")


def test_without_held_out_data_there_are_no_evaluation_plots_and_the_reason_is_shown(reported):
    assert names(reported["none"]) == []
    shown = card.evaluation(metadata(reported["none"]))
    assert shown["label"] == "not evaluated: no train_test_split result matches the model's inputs"
    assert shown["metrics"] == []


def test_without_an_evaluation_the_card_says_none_was_recorded(reported):
    assert names(reported["absent"]) == []
    assert card.evaluation(metadata(reported["absent"]))["label"].startswith("no evaluation was recorded")


def test_a_plot_that_cannot_be_made_is_a_warning_not_a_failed_build(reported, tmp_path):
    artifact = shutil.copytree(reported["forest"], tmp_path / "forest")
    (artifact / "evaluation.json").write_text("{not json")
    (artifact / "executed" / "train.ipynb").write_text("not a notebook")
    logged = []
    report = write_report(artifact, metadata(artifact), sys.executable, build_env(), log=logged.append)
    assert [p["name"] for p in report["plots"]] == ["confusion_matrix", "feature_importances"]
    assert report["problems"][0].startswith("rendering train.ipynb:")
    assert report["problems"][1].startswith("reading evaluation.json: JSONDecodeError")
    assert report["notebooks"][0]["file"] is None and report["notebooks"][0]["problem"] == report["problems"][0]
    assert any(line.startswith("    WARNING: reading evaluation.json") for line in logged)
    assert json.loads((artifact / "metadata.json").read_text())["report"] == report


def test_the_card_lists_the_models_facts_and_its_inputs(reported):
    meta = metadata(reported["forest"])
    facts = dict(card.facts(meta))
    assert facts["Commit"] == "0123456789abcdef0123456789abcdef01234567"
    assert facts["Task"] == "classification, classes: setosa, versicolor, virginica (with probabilities)"
    assert facts["Training rows"] == "105 (from X_train)"
    inputs = card.inputs(meta)
    assert [row["name"] for row in inputs] == ["sepal_length", "petal_length", "petal_width"]
    assert all(" to " in row["seen"] for row in inputs)
    assert card.commit(None) == "not built from a git checkout"
    assert card.commit({"commit": "abc", "dirty": True}) == "abc (with uncommitted changes)"
