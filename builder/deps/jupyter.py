"""What notebooks assume from Jupyter itself, beyond the modules they import.

In Jupyter, ``from tqdm.notebook import tqdm`` draws its progress bar as an ipywidgets widget, and
``tqdm.auto`` picks that bar when ipywidgets is there; headless without ipywidgets the first raises
``ImportError: IProgress not found. Please update jupyter and ipywidgets.`` (an ImportError naming no
module). So an import of one of these modules also installs ipywidgets (with the ``comm`` package it
needs, which carries widgets between kernel and front end), resolved as of the notebook's date like
the rest of its stack.
"""

from __future__ import annotations

#: Imported module (dotted prefix) -> the distribution Jupyter gives it, and why.
WIDGET_MODULES = {
    "tqdm.notebook": "tqdm.notebook's progress bars are Jupyter widgets",
    "tqdm.autonotebook": "tqdm.autonotebook draws Jupyter widgets in a kernel",
    "tqdm.auto": "tqdm.auto draws Jupyter widgets in a kernel",
    "tqdm.tqdm_notebook": "tqdm_notebook's progress bars are Jupyter widgets",
    "tqdm.tnrange": "tnrange's progress bars are Jupyter widgets",
}
WIDGETS = "ipywidgets"
#: What a headless tqdm.notebook says when ipywidgets is missing.
NO_WIDGETS = "IProgress not found"


def jupyter_needs(module: str) -> tuple[str, str, str] | None:
    """``(distribution, the module imported, why)`` when importing ``module`` (dotted, as the import
    scan gives it: ``tqdm.notebook.tqdm``) assumes something Jupyter provides."""
    for prefix, why in WIDGET_MODULES.items():
        if module == prefix or module.startswith(prefix + "."):
            return WIDGETS, prefix, why
    return None
