"""Serving raw records: the notebook's own feature engineering, replayed in front of the model.

- ``slicing``  - the statements of the executed cells that lead from the loaded table to the
                 model's training matrix (an ast backward slice)
- ``rewrite``  - those statements made replayable: loads, the train/test split, fits, whole-table
                 statistics and ``get_dummies`` go through a replay object (``runtime``)
- ``emit``     - ``features.py``: the statements in order, as a person can read them
- ``runtime``  - the replay objects: ``Recorder`` (build: runs the statements on the notebook's
                 table and freezes what they learn) and ``Frozen`` (serving: replays them on requests)
- ``fast_forms`` - faster forms of a few pandas calls for one request, each checked per call site
- ``columnar`` - the whole replay on numpy columns instead of pandas, where checked identical

Kernel-side driving is ``builder.kernel.replay``; the check in a fresh process is
``builder.model.verify`` (``verify_features``, ``verify_columnar``); serving is ``builder.model.served``.
"""
