"""Shared helpers for the benchmark scripts: data files, machine facts, scoring and tables.

The benchmarks are plain scripts (``python benchmarks/<name>.py``); nothing here is imported by
the engine. Data files live outside the repository (default: ``$TMPDIR/segmentation-bench``).
"""

from __future__ import annotations

import csv
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a script from anywhere, without installing the package
    sys.path.insert(0, str(REPO))

SIZES: dict[str, int] = {"10k": 10_000, "100k": 100_000, "1m": 1_000_000}
"""Benchmark sizes by label."""

SEED = 7
COPYRIGHT = "Copyright (c) 2000-2026 salesforce.com, inc. All rights reserved."


# --------------------------------------------------------------------------------------------
# Where the data lives
# --------------------------------------------------------------------------------------------


def default_data_dir() -> Path:
    """``$TMPDIR/segmentation-bench``: generated exports never go into the repository."""
    return Path(tempfile.gettempdir()) / "segmentation-bench"


def data_dir(arg: str | None) -> Path:
    """The data folder from the command line (or the default), refused inside the repository."""
    path = Path(arg).expanduser().resolve() if arg else default_data_dir()
    if path == REPO or REPO in path.parents:
        sys.exit(
            f"error: {path} is inside the repository; give a folder outside it (e.g. /tmp/bench)."
        )
    return path


def parse_sizes(text: str) -> list[str]:
    """``"10k,100k"`` → ``["10k", "100k"]`` (labels of :data:`SIZES`)."""
    labels = [s.strip().lower() for s in text.split(",") if s.strip()]
    unknown = [s for s in labels if s not in SIZES]
    if unknown:
        sys.exit(f"error: unknown size {unknown[0]!r}; use some of {', '.join(SIZES)}.")
    return labels


def accounts_path(folder: Path, label: str) -> Path:
    return folder / f"accounts_{label}.csv"


def truth_path(folder: Path, label: str) -> Path:
    return folder / f"truth_{label}.csv"


def accounts_csv(export) -> bytes:
    """A Salesforce report CSV, the shape of ``data/sample_accounts.csv``: all fields quoted,
    then the report footer rows (each preceded by an empty line)."""
    body = export.to_csv(index=False, quoting=csv.QUOTE_ALL, lineterminator="\n")
    rows = (
        f"Grand Totals ({len(export)} records)",
        "Confidential Information - Do Not Distribute",
        COPYRIGHT,
    )
    return (body + "".join(f'\n"{row}"\n' for row in rows)).encode("utf-8")


def write_size(folder: Path, label: str, seed: int = SEED) -> dict:
    """Generate one size (dirty, planted truth) and write the export and its truth."""
    from scripts.sample_crm import generate_accounts

    n = SIZES[label]
    folder.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    export, truth = generate_accounts(n, seed=seed, dirty=True)
    t1 = time.perf_counter()
    data = accounts_csv(export)
    accounts_path(folder, label).write_bytes(data)
    truth.to_csv(truth_path(folder, label), index=False, lineterminator="\n")
    t2 = time.perf_counter()
    return {"size": label, "rows": n, "bytes": len(data), "generate_s": t1 - t0, "write_s": t2 - t1}


def ensure_data(folder: Path, labels: list[str]) -> None:
    """Generate any missing size (same seed as ``generate.py``)."""
    for label in labels:
        if not (accounts_path(folder, label).exists() and truth_path(folder, label).exists()):
            info = write_size(folder, label)
            print(
                f"generated {accounts_path(folder, label)} ({info['bytes']:,} bytes)",
                file=sys.stderr,
            )


def read_truth(folder: Path, label: str):
    import pandas as pd

    return pd.read_csv(truth_path(folder, label), dtype="str", keep_default_na=False)


# --------------------------------------------------------------------------------------------
# Scores against the planted truth
# --------------------------------------------------------------------------------------------


def types_ari(truth, labels) -> float:
    """Adjusted Rand index of customer types vs the planted ``customer_type``."""
    from sklearn.metrics import adjusted_rand_score

    return float(adjusted_rand_score(truth["customer_type"].to_numpy(), _plain(labels)))


def vertical_purity(truth, labels, industry) -> float:
    """Share of labelled accounts (industry present) whose vertical's majority truth they share.

    Same definition as ``tests/test_verticals.py``: accounts without an industry can only go to
    "Other", so purity is measured on the labelled ones.
    """
    import pandas as pd

    labelled = industry.notna().to_numpy()
    table = pd.crosstab(_plain(labels)[labelled], truth["vertical"].to_numpy()[labelled])
    return float(table.max(axis=1).sum() / labelled.sum())


def _plain(values):
    import numpy as np

    return np.asarray(values.astype(str) if hasattr(values, "astype") else values, dtype=object)


# --------------------------------------------------------------------------------------------
# Machine facts and measurement helpers
# --------------------------------------------------------------------------------------------


def load_text() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f}/{five:.2f}/{fifteen:.2f}"


def machine() -> dict:
    """nproc, CPU model, RAM, load and the library versions, for the results header."""
    import numpy
    import pandas
    import pyarrow
    import sklearn

    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram = int(line.split()[1]) * 1024
    except OSError:
        pass
    env = {k: v for k, v in os.environ.items() if k.startswith(("OPENBLAS", "OMP_", "MKL_"))}
    return {
        "nproc": os.cpu_count(),
        "affinity": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "cpu": model,
        "ram_gb": round(ram / 2**30, 1),
        "load": load_text(),
        "python": platform.python_version(),
        "pandas": pandas.__version__,
        "numpy": numpy.__version__,
        "sklearn": sklearn.__version__,
        "pyarrow": pyarrow.__version__,
        "env": env,
    }


def machine_line(info: dict | None = None) -> str:
    m = info or machine()
    env = ", ".join(f"{k}={v}" for k, v in sorted(m["env"].items())) or "none"
    return (
        f"machine: {m['nproc']} cores ({m['cpu']}), {m['ram_gb']} GB RAM, load {m['load']} (1/5/15 min); "
        f"Python {m['python']}, pandas {m['pandas']}, numpy {m['numpy']}, scikit-learn {m['sklearn']}, "
        f"pyarrow {m['pyarrow']}; BLAS/OpenMP env: {env}"
    )


def run_with_rusage(
    cmd: list[str], *, timeout: float | None = None, env: dict | None = None
) -> dict:
    """Run a subprocess from the repository root; return wall seconds, rc, output and the
    child's own peak RSS in MB (reaped with ``os.wait4``, so other children do not count)."""
    with tempfile.TemporaryFile() as out_f, tempfile.TemporaryFile() as err_f:
        return _run_with_rusage(cmd, out_f, err_f, timeout, env)


def _run_with_rusage(cmd, out_f, err_f, timeout, env) -> dict:
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=out_f, stderr=err_f, env=env, cwd=REPO)
    deadline = None if timeout is None else t0 + timeout
    while True:
        pid, status, usage = os.wait4(proc.pid, 0 if deadline is None else os.WNOHANG)
        if pid:
            break
        if deadline is not None and time.perf_counter() > deadline:
            proc.kill()
            pid, status, usage = os.wait4(proc.pid, 0)
            status = None
            break
        time.sleep(0.005)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status) if status is not None else None
    out_f.seek(0)
    err_f.seek(0)
    return {
        "wall": wall if status is not None else float("inf"),
        "rss_mb": usage.ru_maxrss / 1024,
        "rc": proc.returncode,
        "stdout": out_f.read().decode(),
        "stderr": err_f.read().decode(),
    }


def child_json(result: dict) -> dict:
    """The JSON object a child printed on its last stdout line (raises with its stderr if none)."""
    lines = [ln for ln in result["stdout"].splitlines() if ln.strip()]
    if result["rc"] != 0 or not lines:
        raise RuntimeError(
            f"benchmark child failed (rc={result['rc']}):\n{result['stderr'][-3000:]}"
        )
    return json.loads(lines[-1])


def peak_rss_mb() -> float:
    """This process's peak resident set size so far, in MB (Linux reports KiB)."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def table(headers: list[str], rows: list[list]) -> str:
    """A Markdown table (right-aligned numbers)."""

    def cell(v) -> str:
        return v if isinstance(v, str) else fmt(v)

    body = [[cell(v) for v in row] for row in rows]
    widths = [
        max(len(h), *(len(r[i]) for r in body)) if body else len(h) for i, h in enumerate(headers)
    ]
    numeric = [
        all(_looks_numeric(r[i]) for r in body) if body else False for i in range(len(headers))
    ]
    line = "| " + " | ".join(h.ljust(w) for h, w in zip(headers, widths)) + " |"
    sep = (
        "|"
        + "|".join(
            ("-" * (w + 1) + ":") if num else ("-" * (w + 2)) for w, num in zip(widths, numeric)
        )
        + "|"
    )
    out = [line, sep]
    for r in body:
        out.append(
            "| "
            + " | ".join(v.rjust(w) if num else v.ljust(w) for v, w, num in zip(r, widths, numeric))
            + " |"
        )
    return "\n".join(out)


def _looks_numeric(text: str) -> bool:
    t = (
        text.replace(",", "")
        .replace("×", "")
        .replace("s", "")
        .replace("~", "")
        .replace("≈", "")
        .strip()
    )
    try:
        float(t)
        return True
    except ValueError:
        return t in ("", "—", "n/a")


def fmt(value, digits: int = 2) -> str:
    """Seconds and scores for tables: 3 significant figures, '—' for missing."""
    if value is None:
        return "—"
    if isinstance(value, float):
        if math.isnan(value):
            return "—"
        if abs(value) >= 100:
            return f"{value:,.0f}"
        if abs(value) >= 10:
            return f"{value:.1f}"
        return f"{value:.{digits}f}" if abs(value) >= 0.1 or value == 0 else f"{value:.3f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)
