"""The served model: one abstraction (load, decode inputs, predict, metadata) shared by the build's
fresh-process verification and by every serving protocol.

This package runs inside the build environment (the interpreter that fitted the model), so at
import time it needs only the standard library; numpy, pandas and joblib are imported on load.
"""

from .artifact import METADATA_FILE, MODEL_FILE, read_metadata, sha256_file, verify_model_file
from .served import Prediction, ServedModel

__all__ = ["METADATA_FILE", "MODEL_FILE", "Prediction", "ServedModel", "read_metadata", "sha256_file",
           "verify_model_file"]
