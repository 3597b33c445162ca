"""What notebooks assume from Jupyter itself (builder/deps/jupyter.py)."""

import pytest

from builder.deps.jupyter import WIDGETS, jupyter_needs


@pytest.mark.parametrize("module", ["tqdm.notebook", "tqdm.notebook.tqdm", "tqdm.auto.trange", "tqdm.autonotebook"])
def test_tqdms_jupyter_bars_need_ipywidgets(module):
    distribution, prefix, why = jupyter_needs(module)
    assert distribution == WIDGETS and module.startswith(prefix) and "widgets" in why


@pytest.mark.parametrize("module", ["tqdm", "tqdm.tqdm", "tqdm.notebooks", "ipywidgets", "pandas"])
def test_the_console_bar_and_other_modules_need_nothing_from_jupyter(module):
    assert jupyter_needs(module) is None
