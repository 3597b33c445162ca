"""Names the executed cells bind in loops (weak evidence for a model's name)."""

from builder.kernel.loops import loop_bound_names, names_bound_in_loops


def test_for_targets_and_names_assigned_in_loop_bodies_are_loop_bound():
    names = names_bound_in_loops(
        "for name, (model, grid) in candidates.items():\n"
        "    clf = model.fit(X, y)\n"
        "    if clf.score(X, y) > best:\n"
        "        best_model = clf\n"
        "while False:\n"
        "    try:\n        pipeline = 1\n    except ValueError:\n        estimator = 2\n"
        "final = 3\n")
    assert names.targets == {"name", "model", "grid"}
    assert names.assigned == {"clf", "best_model", "pipeline", "estimator"}
    assert "final" not in names


def test_names_inside_functions_and_unparsable_cells_are_ignored():
    assert not names_bound_in_loops("def f(models):\n    for model in models:\n        model.fit()\n").targets
    assert not names_bound_in_loops("for model in models:\n    %time model.fit()\n").targets  # raw magic: not Python


def test_the_kernels_input_history_is_read():
    namespace = {"In": ["", "import x", "for model in [1]: pass", "get_ipython().run_line_magic('time', '')"]}
    assert "model" in loop_bound_names(namespace).targets
