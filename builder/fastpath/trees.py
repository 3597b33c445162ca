"""Tree models in double precision: ``ai.onnx.ml`` opset 5 ``TreeEnsemble``.

skl2onnx's own tree converters use the opset 1 operators, whose thresholds are float32: a row whose
value sits between a double threshold and its float32 rounding takes the other branch (seen on the
churn random forest: probabilities off by 0.04), and making float thresholds agree costs a search
per node (23 s for a 100-tree forest). ``TreeEnsemble`` takes double thresholds and weights and
computes in double, so the arrays are copied from ``tree_`` as they are, vectorised; the input is
rounded to float32 first, as scikit-learn's trees do before comparing it with double thresholds.

Covered: decision trees, random forests and extra trees (classifiers and single-output regressors).
A classifier is one ensemble per class (the operator gives each leaf one target; of two classes,
the second's, the first's sum being the number of trees minus it), each summing the trees'
fractions, then divided by the number of trees, in scikit-learn's order (a tied vote stays tied);
the label is the first class with the highest probability, as in scikit-learn. Other inputs than double go to skl2onnx's
converter.
"""

from __future__ import annotations

BRANCH_LEQ = 0
#: skl2onnx (1.20) refuses ``ai.onnx.ml`` opsets above 3, so nodes are declared at 3 and
#: ``require_ml_opset5`` raises the model's import to 5 once converted.
ML_OPSET_DECLARED = 3


def require_ml_opset5(proto) -> None:
    """Raise the ``ai.onnx.ml`` import to 5 when the model holds ``TreeEnsemble`` nodes."""
    if any(node.op_type == "TreeEnsemble" for node in proto.graph.node):
        for opset in proto.opset_import:
            if opset.domain == "ai.onnx.ml":
                opset.version = max(opset.version, 5)


def register() -> None:
    """Make these converters the ones skl2onnx uses for the covered models."""
    from skl2onnx import update_registered_converter
    from skl2onnx.common.shape_calculator import (calculate_linear_classifier_output_shapes,
                                                  calculate_linear_regressor_output_shapes)
    from skl2onnx.operator_converters.decision_tree import (convert_sklearn_decision_tree_classifier,
                                                            convert_sklearn_decision_tree_regressor)
    from skl2onnx.operator_converters.random_forest import (convert_sklearn_random_forest_classifier,
                                                            convert_sklearn_random_forest_regressor_converter)
    from sklearn.ensemble import (ExtraTreesClassifier, ExtraTreesRegressor, RandomForestClassifier,
                                  RandomForestRegressor)
    from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

    classifier_options = {"zipmap": [True, False, "columns"], "nocl": [True, False],
                          "output_class_labels": [False, True], "raw_scores": [True, False]}
    for model, fallback in ((RandomForestClassifier, convert_sklearn_random_forest_classifier),
                            (ExtraTreesClassifier, convert_sklearn_random_forest_classifier),
                            (DecisionTreeClassifier, convert_sklearn_decision_tree_classifier)):
        update_registered_converter(model, f"Sklearn{model.__name__}", _double_probabilities(
                                        calculate_linear_classifier_output_shapes),
                                    _classifier(fallback), overwrite=True, options=classifier_options)
    for model, fallback in ((RandomForestRegressor, convert_sklearn_random_forest_regressor_converter),
                            (ExtraTreesRegressor, convert_sklearn_random_forest_regressor_converter),
                            (DecisionTreeRegressor, convert_sklearn_decision_tree_regressor)):
        update_registered_converter(model, f"Sklearn{model.__name__}", calculate_linear_regressor_output_shapes,
                                    _regressor(fallback), overwrite=True)


def _double_probabilities(shapes):
    """skl2onnx's shape calculator, with double probabilities for double inputs (ours compute in double)."""
    def calculate(operator):
        from skl2onnx.common.data_types import DoubleTensorType

        shapes(operator)
        if _is_double(operator) and getattr(operator.raw_operator, "n_outputs_", 1) == 1:
            operator.outputs[1].type = DoubleTensorType(operator.outputs[1].type.shape)
    return calculate


def _is_double(operator) -> bool:
    from skl2onnx.common.data_types import DoubleTensorType

    return isinstance(operator.inputs[0].type, DoubleTensorType)


def _double_only(convert_double, fallback):
    """A converter that uses ``convert_double`` for single-output models fed doubles, else skl2onnx's."""
    def convert(scope, operator, container):
        op = operator.raw_operator
        if not _is_double(operator) or getattr(op, "n_outputs_", 1) != 1:
            return fallback(scope, operator, container)
        convert_double(scope, operator, container)
    return convert


def _classifier(fallback):
    return _double_only(_convert_classifier, fallback)


def _regressor(fallback):
    return _double_only(_convert_regressor, fallback)


def _trees(op) -> list:
    return [est.tree_ for est in op.estimators_] if hasattr(op, "estimators_") else [op.tree_]


def ensemble_attributes(trees: list, leaf_value, weight: float) -> dict:
    """The ``TreeEnsemble`` attributes (one target) for ``trees``; ``leaf_value(tree)`` gives each
    node's leaf value (read at the leaves), multiplied by ``weight``."""
    import numpy as np
    from onnx import numpy_helper

    roots, features, splits, true_ids, false_ids, true_leaf, false_leaf, missing_true = ([] for _ in range(8))
    leaf_weights = []
    node_base = leaf_base = 0
    for tree in trees:
        left, right = tree.children_left, tree.children_right
        is_leaf = left == -1
        node_index = np.cumsum(~is_leaf) - 1 + node_base  # index among split nodes
        leaf_index = np.cumsum(is_leaf) - 1 + leaf_base  # index among leaves
        values = np.asarray(leaf_value(tree), dtype="float64") * weight
        if is_leaf[0]:  # a single leaf: one split whose branches both lead to it
            roots.append(node_base)
            features.append(0), splits.append(0.0), missing_true.append(0)
            true_ids.append(leaf_base), false_ids.append(leaf_base), true_leaf.append(1), false_leaf.append(1)
            leaf_weights.append(values[0])
            node_base, leaf_base = node_base + 1, leaf_base + 1
            continue
        roots.append(node_base)
        split = np.nonzero(~is_leaf)[0]
        lchild, rchild = left[split], right[split]
        features.extend(tree.feature[split].tolist())
        splits.extend(tree.threshold[split].tolist())
        true_leaf.extend(is_leaf[lchild].astype(int).tolist())
        false_leaf.extend(is_leaf[rchild].astype(int).tolist())
        true_ids.extend(np.where(is_leaf[lchild], leaf_index[lchild], node_index[lchild]).tolist())
        false_ids.extend(np.where(is_leaf[rchild], leaf_index[rchild], node_index[rchild]).tolist())
        missing_true.extend(_missing_go_left(tree, split))
        leaf_weights.extend(values[is_leaf].tolist())
        node_base += len(split)
        leaf_base += int(is_leaf.sum())
    return {
        "n_targets": 1, "aggregate_function": 1, "post_transform": 0, "tree_roots": roots,
        "nodes_featureids": features,
        "nodes_splits": numpy_helper.from_array(np.asarray(splits, dtype="float64")),
        "nodes_modes": numpy_helper.from_array(np.full(len(features), BRANCH_LEQ, dtype="uint8")),
        "nodes_truenodeids": true_ids, "nodes_falsenodeids": false_ids,
        "nodes_trueleafs": true_leaf, "nodes_falseleafs": false_leaf,
        "nodes_missing_value_tracks_true": missing_true,
        "leaf_targetids": [0] * len(leaf_weights),
        "leaf_weights": numpy_helper.from_array(np.asarray(leaf_weights, dtype="float64")),
    }


def _missing_go_left(tree, split) -> list:
    """Where a missing value goes at each split (scikit-learn >= 1.3 records it; before, left)."""
    try:
        nodes = tree.__getstate__()["nodes"]
        return nodes["missing_go_to_left"][split].astype(int).tolist()
    except (KeyError, ValueError, TypeError):
        return [1] * len(split)


def _as_sklearn_sees_it(scope, container, x: str) -> str:
    """scikit-learn's trees compare ``float32(x)`` with double thresholds: round the input the same way."""
    from onnx import TensorProto

    single, back = scope.get_unique_variable_name("x_float32"), scope.get_unique_variable_name("x_rounded")
    container.add_node("Cast", [x], [single], to=TensorProto.FLOAT, name=scope.get_unique_operator_name("Cast"))
    container.add_node("Cast", [single], [back], to=TensorProto.DOUBLE, name=scope.get_unique_operator_name("Cast"))
    return back


def _ensemble(scope, container, x: str, attrs: dict) -> str:
    out = scope.get_unique_variable_name("tree_sum")
    container.add_node("TreeEnsemble", [x], [out], op_domain="ai.onnx.ml", op_version=ML_OPSET_DECLARED,
                       name=scope.get_unique_operator_name("TreeEnsemble"), **attrs)
    return out


def _class_fraction(k: int):
    def value(tree):
        v = tree.value[:, 0, :]
        total = v.sum(axis=1)
        total[total == 0] = 1.0
        return v[:, k] / total
    return value


def _convert_classifier(scope, operator, container) -> None:
    import numpy as np
    from onnx import TensorProto

    op = operator.raw_operator
    trees = _trees(op)
    x = _as_sklearn_sees_it(scope, container, operator.inputs[0].full_name)
    classes = np.asarray(op.classes_)
    k = len(classes)
    # each class's fractions summed over the trees, then divided by their number: scikit-learn's
    # order of operations, so that a tied vote ties here too (pre-divided weights, or 1 - p for the
    # first of two classes, round a 50/50 vote to 0.5000000000000003 and flip its label). Of two
    # classes only the second is summed (one pass over the trees, not two): the first's sum is the
    # number of trees minus it, exactly so where the leaves are pure (votes of 0 and 1)
    if k == 2:
        second = _ensemble(scope, container, x, ensemble_attributes(trees, _class_fraction(1), 1.0))
        count = scope.get_unique_variable_name("n_trees")
        container.add_initializer(count, TensorProto.DOUBLE, [1], [float(len(trees))])
        first = scope.get_unique_variable_name("first_sum")
        container.add_node("Sub", [count, second], [first], name=scope.get_unique_operator_name("Sub"))
        sums = [first, second]
    else:
        sums = [_ensemble(scope, container, x, ensemble_attributes(trees, _class_fraction(c), 1.0)) for c in range(k)]
    summed = scope.get_unique_variable_name("class_sums")
    container.add_node("Concat", sums, [summed], axis=1, name=scope.get_unique_operator_name("Concat"))
    proba = operator.outputs[1].full_name
    _divide(scope, container, summed, len(trees), proba)
    index = scope.get_unique_variable_name("argmax")
    container.add_node("ArgMax", [proba], [index], axis=1, keepdims=0, select_last_index=0,
                       name=scope.get_unique_operator_name("ArgMax"))
    labels = scope.get_unique_variable_name("classes")
    if classes.dtype.kind in "iu":
        container.add_initializer(labels, TensorProto.INT64, [k], classes.astype("int64").tolist())
    elif classes.dtype.kind in "OUS" and all(isinstance(c, str) for c in classes):
        container.add_initializer(labels, TensorProto.STRING, [k], [str(c).encode() for c in classes])
    else:
        from .convert import Unsupported

        raise Unsupported(f"class labels of type {classes.dtype} are not converted")
    container.add_node("Gather", [labels, index], [operator.outputs[0].full_name], axis=0,
                       name=scope.get_unique_operator_name("Gather"))


def _convert_regressor(scope, operator, container) -> None:
    op = operator.raw_operator
    trees = _trees(op)
    x = _as_sklearn_sees_it(scope, container, operator.inputs[0].full_name)
    total = _ensemble(scope, container, x, ensemble_attributes(trees, lambda tree: tree.value[:, 0, 0], 1.0))
    _divide(scope, container, total, len(trees), operator.outputs[0].full_name)


def _divide(scope, container, x: str, n: int, out: str) -> None:
    """``out = x / n`` in double (the trees' sum divided by their number, as scikit-learn averages)."""
    from onnx import TensorProto

    count = scope.get_unique_variable_name("n_trees")
    container.add_initializer(count, TensorProto.DOUBLE, [], [float(n)])
    container.add_node("Div", [x, count], [out], name=scope.get_unique_operator_name("Div"))
