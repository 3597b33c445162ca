"""Model steps for reliability tests, importable by a served artifact (the server gets this folder on
PYTHONPATH): a step that sleeps on request, and one that fails on request, so a test can hold a
request in flight or make the model raise. Ordinary rows pass straight through."""

import os
import time

import numpy as np

SLOW = 4242.0  # a first feature equal to this makes the prediction take SLOW_SECONDS
SLOW_SECONDS = 3.0
FAIL = -4242.0  # a first feature equal to this makes the model raise


def pause_or_fail(X):
    X = np.asarray(X, dtype="float64")
    if X.size and X[0, 0] == SLOW:
        marker = os.environ.get("RELIABILITY_IN_FLIGHT")
        if marker:  # tells the test the request is being handled
            open(marker, "w").close()
        time.sleep(SLOW_SECONDS)
    if X.size and X[0, 0] == FAIL:
        raise RuntimeError("secret internals: /srv/model/weights.bin at 0xdeadbeef")
    return X
