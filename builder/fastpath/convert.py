"""scikit-learn -> ONNX, shaped for serving from the input schema.

- Inputs: one ``[N, 1]`` tensor per column for DataFrame models that start with a
  ``ColumnTransformer`` (numbers, integers and booleans as double, strings as string), one
  ``[N, n]`` double tensor (``STACKED``) for other models fitted on all-numeric DataFrames and for
  array models (``X``), one ``[N, 1]`` string tensor for text models. Datetime columns are not
  converted.
- Double precision throughout: linear models compute in double, tree ensembles use the
  ``ai.onnx.ml`` opset 3 operators whose thresholds are doubles (no float32 rounding of the
  thresholds, which would move rows that sit on one).
- ``SimpleImputer`` on doubles becomes ``Where(IsNaN(x), statistics, x)`` (onnxruntime's
  ``Imputer`` takes float32 only); on strings, missing values arrive as ``MISSING_STRING``.
- Classifiers output ``label`` and a plain ``probabilities`` matrix (no ZipMap).
"""

from __future__ import annotations

import copy
import math

from . import MISSING_STRING, STACKED

TARGET_OPSET = {"": 21, "ai.onnx.ml": 3}


class Unsupported(Exception):
    """The model or its inputs cannot be converted; the message says why, for the build summary."""


def initial_types(schema: dict, model=None) -> list:
    from skl2onnx.common.data_types import DoubleTensorType, StringTensorType

    kind, inputs = schema["input_kind"], schema["inputs"]
    if kind == "array":
        return [("X", DoubleTensorType([None, len(inputs)]))]
    if kind == "dataframe" and model is not None and not _starts_with_column_transformer(model) \
            and all(c["type"] in ("number", "integer", "boolean") for c in inputs):
        return [(STACKED, DoubleTensorType([None, len(inputs)]))]  # a model fitted on a numeric frame
    if kind == "text":
        return [(inputs[0]["name"], StringTensorType([None, 1]))]
    types = []
    for column in inputs:
        if column["type"] in ("number", "integer", "boolean"):
            types.append((column["name"], DoubleTensorType([None, 1])))
        elif column["type"] == "string":
            types.append((column["name"], StringTensorType([None, 1])))
        else:
            raise Unsupported(f"column '{column['name']}' is a {column['type']}: not converted to ONNX")
    return types


def to_onnx(model, schema: dict):
    """Return the ONNX ModelProto of ``model`` for inputs described by ``schema``."""
    from skl2onnx import convert_sklearn

    held_none = [c["name"] for c in schema.get("inputs", []) if c.get("missing_value") == "None"]
    if held_none:
        raise Unsupported(f"the training data held None (not NaN) for missing values in {', '.join(held_none)}, "
                          "which scikit-learn treats as a category of its own; the ONNX form cannot tell them apart")
    _register()
    model = _prepared(model)
    options = {id(est): {"zipmap": False} for est in _estimators(model)
               if hasattr(est, "classes_") and hasattr(est, "predict_proba") and not hasattr(est, "steps")}
    from .trees import require_ml_opset5

    try:
        proto = convert_sklearn(model, initial_types=initial_types(schema, model), options=options or None,
                                target_opset=TARGET_OPSET)
        require_ml_opset5(proto)
        return proto
    except Unsupported:
        raise
    except Exception as exc:  # noqa: BLE001 - skl2onnx raises anything; the reason goes to the summary
        message = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else ""
        raise Unsupported(f"skl2onnx cannot convert it ({type(exc).__name__}: {message})") from exc


def _starts_with_column_transformer(model) -> bool:
    from sklearn.compose import ColumnTransformer

    first = model.steps[0][1] if hasattr(model, "steps") else model
    return isinstance(first, ColumnTransformer)


def _prepared(model):
    """A copy of ``model`` whose string imputers look for ``MISSING_STRING`` instead of NaN."""
    from sklearn.impute import SimpleImputer

    model = copy.deepcopy(model)
    for est in _estimators(model):
        if isinstance(est, SimpleImputer) and getattr(est, "statistics_", None) is not None \
                and est.statistics_.dtype == object and _is_nan_marker(est.missing_values):
            est.missing_values = MISSING_STRING
    return model


def _is_nan_marker(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _estimators(est):
    """``est`` and every estimator nested in it (pipelines, column transformers, unions)."""
    yield est
    for attr in ("steps", "transformers_", "transformer_list"):
        for item in getattr(est, attr, None) or []:
            child = item[1]
            if child not in ("drop", "passthrough") and not isinstance(child, str):
                yield from _estimators(child)


_registered = False


def _register() -> None:
    """Our converters for double inputs: imputers here, tree models in ``trees``."""
    global _registered
    if _registered:
        return
    from . import trees

    trees.register()
    from skl2onnx import update_registered_converter
    from skl2onnx.operator_converters.imputer_op import convert_sklearn_imputer
    from skl2onnx.shape_calculators.imputer import calculate_sklearn_imputer_output_shapes
    from sklearn.impute import SimpleImputer

    def convert(scope, operator, container):
        from skl2onnx.common.data_types import DoubleTensorType

        if not isinstance(operator.inputs[0].type, DoubleTensorType):
            return convert_sklearn_imputer(scope, operator, container)
        _convert_double_imputer(scope, operator, container)

    update_registered_converter(SimpleImputer, "SklearnSimpleImputer", calculate_sklearn_imputer_output_shapes,
                                convert, overwrite=True)
    _registered = True


def _convert_double_imputer(scope, operator, container) -> None:
    import numpy as np
    from onnx import TensorProto
    from skl2onnx.operator_converters.common import concatenate_variables

    op = operator.raw_operator
    statistics = np.asarray(op.statistics_, dtype="float64")
    if np.isnan(statistics).any():
        raise Unsupported("a SimpleImputer has an all-missing column (keep_empty_features)")
    x = concatenate_variables(scope, operator.inputs, container)
    fill = scope.get_unique_variable_name("fill")
    container.add_initializer(fill, TensorProto.DOUBLE, [len(statistics)], statistics.tolist())
    mask = scope.get_unique_variable_name("missing")
    if _is_nan_marker(op.missing_values):
        container.add_node("IsNaN", [x], [mask], name=scope.get_unique_operator_name("IsNaN"))
    else:
        marker = scope.get_unique_variable_name("marker")
        container.add_initializer(marker, TensorProto.DOUBLE, [1], [float(op.missing_values)])
        container.add_node("Equal", [x, marker], [mask], name=scope.get_unique_operator_name("Equal"))
    container.add_node("Where", [mask, fill, x], [operator.outputs[0].full_name],
                       name=scope.get_unique_operator_name("Where"))
