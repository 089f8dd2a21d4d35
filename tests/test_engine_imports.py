"""The engine stays importable without streamlit: only segmentation.ui may import it."""

import subprocess
import sys
from pathlib import Path

import segmentation

PACKAGE = Path(segmentation.__file__).parent


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


# Every module on disk, subpackages included; the UI, the entry point and the database
# migration scripts (run by alembic, not imported) are not engine code.
ENGINE_MODULES = sorted(
    _module_name(path)
    for path in PACKAGE.rglob("*.py")
    if not {"ui", "migrations"} & set(path.relative_to(PACKAGE).parts[:-1])
    and path.name != "__main__.py"
)
# The app's charts live under ui/ but are plotly only: they must not pull streamlit in either.
CHART_MODULES = sorted(_module_name(path) for path in (PACKAGE / "ui" / "charts").glob("*.py"))


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


def test_discovery_reaches_into_subpackages_and_leaves_the_ui_out():
    # A new module or subpackage is picked up automatically; this guards the discovery itself.
    assert {
        "segmentation.pipeline",
        "segmentation.planner",
        "segmentation.planner.headcount",
        "segmentation.store.db",
    } <= set(ENGINE_MODULES)
    assert not any(name.startswith("segmentation.ui") for name in ENGINE_MODULES)
    assert "segmentation.__main__" not in ENGINE_MODULES
    assert {"segmentation.ui.charts.style", "segmentation.ui.charts.segments"} <= set(CHART_MODULES)
