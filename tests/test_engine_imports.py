"""The engine stays importable without streamlit: only segmentation.ui may import it."""

import pkgutil
import subprocess
import sys

import segmentation
from segmentation.ui import charts

ENGINE_MODULES = sorted(
    f"segmentation.{m.name}"
    for m in pkgutil.iter_modules(segmentation.__path__)
    if m.name not in {"ui", "__main__"}
)
# The app's charts live under ui/ but are plotly only: they must not pull streamlit in either.
CHART_MODULES = sorted(
    f"segmentation.ui.charts.{m.name}" for m in pkgutil.iter_modules(charts.__path__)
)


def test_engine_modules_do_not_import_streamlit():
    code = (
        "import sys\n"
        + "".join(f"import {name}\n" for name in [*ENGINE_MODULES, *CHART_MODULES])
        + "print('streamlit' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


def test_every_engine_module_is_covered():
    # A new module is picked up automatically; this guards the discovery itself.
    assert {"segmentation.pipeline", "segmentation.cli", "segmentation.export"} <= set(
        ENGINE_MODULES
    )
    assert {"segmentation.ui.charts.style", "segmentation.ui.charts.segments"} <= set(CHART_MODULES)
