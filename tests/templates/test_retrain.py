"""The retraining schedule (templates/openshift/retrain-schedule.yaml): its objects validate, its pod
runs restricted, it acts on the BuildConfig and ImageStream the model-service templates make, its
Role allows exactly what its script does, and the script itself, run by bash against a stand-in
`oc` that records its calls, keeps the rollback image, passes the quality gate and the notebook
parameters to the build, and rolls out only when the build succeeded."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

from tests.templates.conftest import SAMPLE, processed, template
from tests.templates.manifests import by_kind, one, validate
from tests.templates.oc_process import process
from tests.templates.restricted import all_violations

RETRAIN = "retrain-schedule.yaml"


def objects(**params) -> list[dict]:
    """The schedule processed for the sample application (the churn example's APPLICATION_NAME)."""
    return process(template(RETRAIN), {"APPLICATION_NAME": SAMPLE["APPLICATION_NAME"], **params})["items"]


def cronjob(**params) -> dict:
    return one(objects(**params), "CronJob")


def pod(**params) -> tuple[dict, dict]:
    template = cronjob(**params)["spec"]["jobTemplate"]["spec"]["template"]
    return template["metadata"], template["spec"]


def test_every_object_validates_and_the_pod_runs_restricted():
    found = objects()
    assert sorted(o["kind"] for o in found) == ["CronJob", "Role", "RoleBinding", "ServiceAccount"]
    for obj in found:
        validate(obj)
    meta, spec = pod()
    # It calls the API (oc), so unlike the model pods it needs its service account's token: its own
    # account, bound to a Role limited to this model (below), never the namespace's default.
    assert all_violations(meta, spec) == ["spec.automountServiceAccountToken must be false"]
    assert spec["serviceAccountName"] == f"{SAMPLE['APPLICATION_NAME']}-retrain"
    job = cronjob()
    assert job["spec"]["schedule"] == "0 3 * * 1" and len(job["spec"]["schedule"].split()) == 5
    assert job["spec"]["concurrencyPolicy"] == "Forbid", "two retrains of one model must never overlap"
    assert job["spec"]["jobTemplate"]["spec"]["backoffLimit"] == 0, "a failed quality gate is not retried"


@pytest.mark.parametrize("service", ["model-service.yaml", "model-service-canary.yaml"])
def test_it_starts_the_model_services_buildconfig_and_tags_its_imagestream(service):
    made = processed(service)
    [build] = by_kind(made, "BuildConfig")
    [stream] = by_kind(made, "ImageStream")
    env = {e["name"]: e["value"] for e in pod()[1]["containers"][0]["env"]}
    assert env["APPLICATION_NAME"] == SAMPLE["APPLICATION_NAME"] == build["metadata"]["name"] == stream["metadata"]["name"]
    assert build["spec"]["output"]["to"]["name"] == f"{stream['metadata']['name']}:latest"
    followed = {d["metadata"]["annotations"]["image.openshift.io/triggers"] for d in by_kind(made, "Deployment")}
    tag = "canary" if "canary" in service else "latest"
    assert any(f'"{stream["metadata"]["name"]}:{tag}"' in t for t in followed), f"no Deployment follows :{tag}"


def test_the_role_allows_what_the_script_does_and_nothing_else():
    role = one(objects(), "Role")
    binding = one(objects(), "RoleBinding")
    assert binding["roleRef"]["name"] == role["metadata"]["name"]
    assert binding["subjects"][0]["name"] == pod()[1]["serviceAccountName"]
    grants = {(res, verb) for rule in role["rules"] for res in rule["resources"] for verb in rule["verbs"]}
    assert ("buildconfigs/instantiate", "create") in grants  # oc start-build
    assert {("builds", "watch"), ("builds/log", "get")} <= grants  # --wait --follow
    assert {("imagestreamtags", "get"), ("imagestreams", "update"), ("imagestreamtags", "create")} <= grants  # oc tag
    assert not any(verb == "delete" or res in ("secrets", "deployments") for res, verb in grants)
    instantiate = next(r for r in role["rules"] if "buildconfigs/instantiate" in r["resources"])
    assert instantiate["resourceNames"] == [SAMPLE["APPLICATION_NAME"]], "it may start this model's build only"


# ---- the script, run against a stand-in oc -------------------------------------------------------

FAKE_OC = """#!/bin/bash
echo "oc $*" >> "$OC_CALLS"
case "$1" in
  get) [ -n "$SERVING_IMAGE" ] && echo "$SERVING_IMAGE" || exit 1;;
  start-build) for a in "$@"; do echo "$a"; done > "$OC_CALLS.build"; exit "$BUILD_EXIT";;
  tag) exit 0;;
esac
"""


def run_script(tmp_path: Path, serving_image="sha256:abc", build_exit=0, **params):
    meta, spec = pod(**params)
    container = spec["containers"][0]
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    (bin_dir / "oc").write_text(FAKE_OC)
    (bin_dir / "oc").chmod((bin_dir / "oc").stat().st_mode | stat.S_IEXEC)
    calls = tmp_path / "calls"
    calls.write_text("")
    env = {e["name"]: e["value"] for e in container["env"]}
    env.update(PATH=f"{bin_dir}:{os.environ['PATH']}", OC_CALLS=str(calls), SERVING_IMAGE=serving_image,
               BUILD_EXIT=str(build_exit))
    result = subprocess.run([*container["command"], *container["args"]], capture_output=True, text=True, env=env,
                            timeout=60)
    build_args = (tmp_path / "calls.build").read_text().split("\n") if (tmp_path / "calls.build").exists() else []
    return result, calls.read_text().splitlines(), build_args


def test_a_weekly_run_keeps_the_rollback_image_and_builds_with_the_gate_and_the_parameters(tmp_path):
    result, calls, build = run_script(tmp_path, MIN_SCORE="roc_auc=0.8",
                                      NOTEBOOK_PARAMS="data_path=https://data.example/churn.csv window_days=90")
    assert result.returncode == 0, result.stderr
    assert calls[0].startswith("oc get istag churn:latest")
    assert calls[1] == "oc tag churn@sha256:abc churn:previous"
    assert calls[2].startswith("oc start-build churn --wait --follow")
    assert len(calls) == 3, "latest: the Deployment rolls out by itself, nothing else to tag"
    pairs = [build[i + 1] for i, a in enumerate(build) if a == "--env"]
    assert pairs == ["NB2SERVICE_MIN_SCORE=roc_auc=0.8", "NB2SERVICE_NO_REGRESSION=1",
                     "NB2SERVICE_PARAM_data_path=https://data.example/churn.csv", "NB2SERVICE_PARAM_window_days=90"]
    assert "oc tag churn:previous churn:latest" in result.stdout  # how to roll back, said in the log


def test_a_canary_rollout_tags_the_new_image_canary_only_after_the_build_succeeded(tmp_path):
    result, calls, _ = run_script(tmp_path, ROLLOUT="canary")
    assert result.returncode == 0, result.stderr
    assert calls[0].startswith("oc get istag churn:canary")
    assert calls[1] == "oc tag churn@sha256:abc churn:previous"
    assert calls[-1] == "oc tag churn:latest churn:canary"


def test_a_failed_build_or_quality_gate_rolls_nothing_out_and_fails_the_job(tmp_path):
    result, calls, _ = run_script(tmp_path, build_exit=1, ROLLOUT="canary")
    assert result.returncode == 1
    assert "nothing was rolled out" in result.stderr
    assert not any(c.endswith("churn:canary") and c.startswith("oc tag churn:latest") for c in calls)


def test_the_first_run_has_no_image_to_keep_and_bad_settings_stop_before_any_build(tmp_path):
    result, calls, _ = run_script(tmp_path, serving_image="")
    assert result.returncode == 0 and "no rollback image to keep" in result.stdout
    assert not any(c.startswith("oc tag") for c in calls)
    for params in ({"ROLLOUT": "blue-green"}, {"NOTEBOOK_PARAMS": "just-a-word"}):
        (tmp_path / "calls.build").unlink(missing_ok=True)
        result, calls, _ = run_script(tmp_path, **params)
        assert result.returncode == 2, params
        assert not any(c.startswith("oc start-build") for c in calls), params
