"""Which distribution provides an imported module.

Sources, first match wins:

1. ``NOT_ON_PYPI``: modules only a hosted notebook service provides (``google.colab``).
2. ``OVERRIDES``: our corrections to pipreqs' table, keyed by dotted module name, longest prefix
   first (``google.cloud.storage`` -> google-cloud-storage, while pipreqs maps all of ``google``
   to protobuf).
3. ``NAMESPACE_ROOTS``: a namespace package's first segment says nothing on its own
   (``google.foo``, ``azure.bar``): unresolved unless 2. knows the dotted name.
4. ``known_distributions.txt``: well-known distributions whose import name is their name.
5. pipreqs' static ``mapping`` file (vendored as ``pipreqs_mapping.txt``), without its ambiguous entries (one import name, several
   distributions) and the generic names in ``DISTRUSTED`` (``models`` -> asposebarcode).
6. ``importlib.metadata.packages_distributions()`` of the interpreter nb2service runs in, when
   exactly one installed distribution provides the name.

Anything else is unresolved: it is reported, never looked up on a package index (a guessed name is
how dependency confusion gets in).
"""

from __future__ import annotations

import functools
import importlib.resources
from dataclasses import dataclass
from importlib.metadata import packages_distributions

from packaging.utils import canonicalize_name


NOT_ON_PYPI = {
    "google.colab": "provided only inside Google Colab",
    "kaggle_secrets": "provided only inside Kaggle notebooks",
    "kaggle_datasets": "provided only inside Kaggle notebooks",
    "pyodide": "provided only inside Pyodide / JupyterLite",
    "js": "provided only inside Pyodide / JupyterLite",
    "micropip": "provided only inside Pyodide / JupyterLite",
    "dbutils": "provided only inside Databricks",
}

OVERRIDES = {
    # pipreqs' table is wrong or silent for these
    "attr": "attrs", "skimage": "scikit-image", "MySQLdb": "mysqlclient", "docker": "docker",
    "ruamel.yaml": "ruamel.yaml", "slugify": "python-slugify", "progressbar": "progressbar2",
    "igraph": "igraph", "psycopg2": "psycopg2-binary", "grpc": "grpcio", "faiss": "faiss-cpu",
    "umap": "umap-learn", "surprise": "scikit-surprise", "skopt": "scikit-optimize",
    "bayes_opt": "bayesian-optimization", "fitz": "PyMuPDF", "docx": "python-docx",
    "pptx": "python-pptx", "Bio": "biopython", "jose": "python-jose", "kafka": "kafka-python",
    "tabula": "tabula-py", "scikitplot": "scikit-plot", "autosklearn": "auto-sklearn",
    "Levenshtein": "Levenshtein", "websocket": "websocket-client", "cassandra": "cassandra-driver",
    "odf": "odfpy", "gi": "PyGObject", "win32api": "pywin32", "win32com": "pywin32",
    "mysql.connector": "mysql-connector-python", "zmq": "pyzmq", "tensorflow_hub": "tensorflow-hub",
    "lightgbm": "lightgbm", "xgboost": "xgboost", "catboost": "catboost", "weaviate": "weaviate-client",
    # the usual renames, kept here so they never depend on another table
    "sklearn": "scikit-learn", "PIL": "Pillow", "cv2": "opencv-python", "bs4": "beautifulsoup4",
    "yaml": "PyYAML", "imblearn": "imbalanced-learn", "dateutil": "python-dateutil",
    "dotenv": "python-dotenv", "jwt": "PyJWT", "serial": "pyserial", "Crypto": "pycryptodome",
    "OpenSSL": "pyOpenSSL", "bson": "pymongo", "magic": "python-magic", "git": "GitPython",
    "github": "PyGithub", "telegram": "python-telegram-bot", "dns": "dnspython", "usb": "pyusb",
    # namespace packages, resolved on the dotted name
    "google.protobuf": "protobuf", "google.auth": "google-auth", "google.oauth2": "google-auth",
    "google.api_core": "google-api-core", "google.genai": "google-genai",
    "google.generativeai": "google-generativeai",
    "google.cloud.storage": "google-cloud-storage", "google.cloud.bigquery": "google-cloud-bigquery",
    "google.cloud.bigquery_storage": "google-cloud-bigquery-storage",
    "google.cloud.pubsub": "google-cloud-pubsub", "google.cloud.pubsub_v1": "google-cloud-pubsub",
    "google.cloud.firestore": "google-cloud-firestore", "google.cloud.aiplatform": "google-cloud-aiplatform",
    "google.cloud.secretmanager": "google-cloud-secret-manager",
    "google.cloud.translate": "google-cloud-translate", "google.cloud.vision": "google-cloud-vision",
    "google.cloud.language": "google-cloud-language", "google.cloud.speech": "google-cloud-speech",
    "google.cloud.bigtable": "google-cloud-bigtable", "google.cloud.spanner": "google-cloud-spanner",
    "google.cloud.datastore": "google-cloud-datastore", "google.cloud.logging": "google-cloud-logging",
    "azure.storage.blob": "azure-storage-blob", "azure.storage.filedatalake": "azure-storage-file-datalake",
    "azure.identity": "azure-identity", "azure.core": "azure-core", "azure.cosmos": "azure-cosmos",
    "azure.keyvault.secrets": "azure-keyvault-secrets", "azure.ai.ml": "azure-ai-ml",
    "azureml.core": "azureml-core",
    "snowflake.connector": "snowflake-connector-python", "snowflake.snowpark": "snowflake-snowpark-python",
    "databricks.sdk": "databricks-sdk", "databricks.connect": "databricks-connect",
    "mpl_toolkits.mplot3d": "matplotlib", "mpl_toolkits.axes_grid1": "matplotlib",
    "mpl_toolkits.axisartist": "matplotlib", "mpl_toolkits.basemap": "basemap",
    "backports.zoneinfo": "backports.zoneinfo", "backports.functools_lru_cache": "backports.functools-lru-cache",
    "jaraco.functools": "jaraco.functools", "zope.interface": "zope.interface",
    "opentelemetry.api": "opentelemetry-api", "opentelemetry.sdk": "opentelemetry-sdk",
}

NAMESPACE_ROOTS = frozenset({"google", "azure", "azureml", "backports", "jaraco", "zope", "snowflake",
                             "databricks", "mpl_toolkits", "ruamel", "sphinxcontrib", "opentelemetry"})

#: Generic names pipreqs maps to unrelated projects; more likely a missing local module or a typo.
DISTRUSTED = frozenset({
    "abstract", "action", "analytics", "app", "atom", "audio", "bash", "bootstrap", "buffer",
    "colors", "compile", "coordination", "demo", "example", "examples", "models", "nested",
    "output", "pilot", "provider", "scratch", "screen", "singleton", "solution", "src", "test",
    "tests", "utilities", "validate", "version", "workflow", "useless", "universe", "valentine",
    "sx", "ho", "lava", "requirements", "utils", "helpers", "config", "data", "model", "main",
})


@dataclass(frozen=True)
class Resolution:
    """Where an import leads: a canonical distribution name, or None with the reason why not."""

    distribution: str | None
    module: str   # the (possibly dotted) module name that decided it
    reason: str   # which table answered, or why none did


def resolve(dotted: str) -> Resolution:
    """The distribution providing ``dotted`` (``sklearn.linear_model``, ``google.cloud.storage``)."""
    parts = dotted.split(".")
    top = parts[0]
    for depth in range(len(parts), 0, -1):
        prefix = ".".join(parts[:depth])
        if prefix in NOT_ON_PYPI:
            return Resolution(None, prefix, NOT_ON_PYPI[prefix])
        if prefix in OVERRIDES:
            return Resolution(canonicalize_name(OVERRIDES[prefix]), prefix, "nb2service's mapping")
    if top in NAMESPACE_ROOTS:
        return Resolution(None, dotted, f"namespace package: '{dotted}' maps to no known distribution; "
                                        "add it to requirements.txt if it is needed")
    if canonicalize_name(top) in known_distributions():
        return Resolution(canonicalize_name(top), top, "known distributions")
    if top in pipreqs_mapping():
        return Resolution(pipreqs_mapping()[top], top, "pipreqs' mapping")
    installed = sorted({canonicalize_name(d) for d in packages_distributions().get(top, [])})
    if len(installed) == 1:
        return Resolution(installed[0], top, "installed distributions")
    if installed:
        return Resolution(None, top, f"provided by several installed distributions ({', '.join(installed)}); "
                                     "add the right one to requirements.txt")
    return Resolution(None, top, "maps to no known distribution; add it to requirements.txt if it is "
                                 "needed (nb2service never guesses a name on a package index)")


@functools.cache
def known_distributions() -> frozenset[str]:
    """The names in ``known_distributions.txt``."""
    text = importlib.resources.files(__package__).joinpath("known_distributions.txt").read_text("utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


@functools.cache
def pipreqs_mapping() -> dict[str, str]:
    """pipreqs' ``import_name:dist_name`` table, minus ambiguous names and ``DISTRUSTED``."""
    text = importlib.resources.files(__package__).joinpath("pipreqs_mapping.txt").read_text("utf-8")
    seen: dict[str, set[str]] = {}
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        name, sep, dist = line.strip().partition(":")
        if sep and name and dist:
            seen.setdefault(name, set()).add(canonicalize_name(dist))
    return {name: dists.pop() for name, dists in seen.items() if len(dists) == 1 and name not in DISTRUSTED}
