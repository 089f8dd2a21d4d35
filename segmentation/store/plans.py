"""What a plan saves from a run: its files, its inputs, and the metadata to reopen it."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from segmentation.playbook import Playbook, load_playbook
from segmentation.store.db import DERIVED, INPUT, OUTPUT, StoredFile, fingerprint

VALUES_FILE = "account_values.csv"
"""Each account's value (annual deal potential), in assignments.csv's row order: compare
weighs moved accounts by it (assignments.csv has no value column)."""


def playbook_values(playbook: Playbook) -> dict[str, float]:
    """The playbook values that differ from the shipped playbook.

    Parameters
    ----------
    playbook : Playbook

    Returns
    -------
    dict of str to float
        Rule id → value, only where changed: what the app's playbook controls hold.
    """
    shipped = load_playbook().rules
    return {
        rule_id: float(rule.value)
        for rule_id, rule in playbook.rules.items()
        if rule_id in shipped and rule.value != shipped[rule_id].value
    }


def input_file(kind: str, source: str | Path | bytes, name: str | None = None) -> StoredFile:
    """An input of a run (``accounts``, ``opportunities``, ``roster``, ``playbook``) to store.

    Parameters
    ----------
    kind : str
    source : str, Path or bytes
        The file, or its content.
    name : str, optional
        The file's name when ``source`` is bytes.

    Returns
    -------
    StoredFile
    """
    if isinstance(source, (bytes, bytearray)):
        return StoredFile(name or kind, bytes(source), INPUT, kind)
    path = Path(source)
    return StoredFile(path.name, path.read_bytes(), INPUT, kind)


def plan_files_from_run(
    run, inputs: list[StoredFile], files: dict[str, bytes] | None = None, *, app: dict | None = None
) -> tuple[list[StoredFile], dict, str]:
    """The files, metadata and fingerprint to save for a run.

    Parameters
    ----------
    run : segmentation.run_result.Run
    inputs : list of StoredFile
        The files the run read (see :func:`input_file`).
    files : dict of str to bytes, optional
        The run's output files when already built (``run.files()`` otherwise).
    app : dict, optional
        The app's settings, so the Plans page can restore them exactly.

    Returns
    -------
    files : list of StoredFile
    meta : dict
    fingerprint : str
    """
    outputs = files if files is not None else run.files()
    stored = [StoredFile(name, data, OUTPUT) for name, data in outputs.items()]
    stored += inputs
    values = run.team_plan.book["value"] if "value" in run.team_plan.book.columns else None
    if values is not None:
        buffer = io.StringIO()
        pd.DataFrame({"value": values.to_numpy()}).to_csv(buffer, index=False)
        stored.append(StoredFile(VALUES_FILE, buffer.getvalue().encode(), DERIVED))
    meta = {
        "source": run.loaded.read_info.source_name,
        "mapping": dict(run.loaded.mapping.columns),
        "settings": run.settings,
        "playbook_values": playbook_values(run.playbook),
        "warnings": len(run.warnings),
    }
    if app is not None:
        meta["app"] = app
    return stored, meta, fingerprint([f for f in stored if f.role == INPUT])
