"""The saved-plan commands: ``run --save``, ``plans``, ``compare`` and ``show``.

Kept apart from :mod:`segmentation.cli` so the store's libraries load only when a command
uses them.
"""

from __future__ import annotations

import argparse
import json
import sys

from segmentation.errors import InputError
from segmentation.store.compare import compare_plans
from segmentation.store.db import DERIVED, OUTPUT, PlanStore, check_name
from segmentation.store.plans import input_file, plan_files_from_run


def check_save(args: argparse.Namespace) -> PlanStore:
    """Check ``run --save NAME [--store URL] [--replace]`` before the run does its work.

    Parameters
    ----------
    args : argparse.Namespace
        The ``run`` command's arguments.

    Returns
    -------
    PlanStore
        The store, opened (its tables made or upgraded).

    Raises
    ------
    InputError
        ``--store`` or ``--replace`` without ``--save``, a bad name, an unreachable store, or
        a name already saved (without ``--replace``).
    """
    if args.save is None:
        flag = "--store" if args.store else "--replace"
        raise InputError(f"{flag} goes with --save NAME (the name to save the plan under)")
    name = check_name(args.save)
    store = PlanStore(args.store)
    store.check()
    if not args.replace and store.has(name):
        raise InputError(
            f"a plan named {name!r} is already saved in {store.label}; choose another name, "
            "or add --replace"
        )
    return store


def save_run(store: PlanStore, args: argparse.Namespace, result, files: dict[str, bytes]) -> None:
    """Save a finished run under ``--save NAME`` and say so.

    Parameters
    ----------
    store : PlanStore
    args : argparse.Namespace
        The ``run`` command's arguments (its input files are stored with the plan).
    result : segmentation.run_result.Run
    files : dict of str to bytes
        The files the run wrote.
    """
    inputs = [input_file("accounts", args.accounts)]
    for kind, path in (("opportunities", args.opportunities), ("roster", args.reps),
                       ("playbook", args.playbook)):  # fmt: skip
        if path:
            inputs.append(input_file(kind, path))
    stored, meta, digest = plan_files_from_run(result, inputs, files)
    try:
        summary = store.save(args.save, stored, meta=meta, fingerprint=digest, replace=args.replace)
    except InputError as error:
        raise InputError(f"the files were written but the plan was not saved: {error}") from None
    print(f"saved plan {summary.name!r} in {store.label}")


def plans(args: argparse.Namespace) -> int:
    """``plans [--store URL] [--json]``: the saved plans, oldest first."""
    store = PlanStore(args.store)
    saved = store.list()
    if args.json:
        text = json.dumps([p.to_dict() for p in saved], indent=2, ensure_ascii=False)
        sys.stdout.write(text + "\n")
        return 0
    if not saved:
        print(f"No saved plans in {store.label} (save one with: run FILE --save NAME).")
        return 0
    rows = [("name", "created (UTC)", "accounts", "reps", "cost")]
    for plan in saved:
        created = plan.to_dict()["created"]
        rows.append((
            plan.name,
            created.replace("T", " ").removesuffix("+00:00"),
            _whole(plan.accounts),
            _whole(plan.reps),
            _whole(plan.cost),
        ))  # fmt: skip
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        cells = [row[0].ljust(widths[0]), row[1].ljust(widths[1])]
        cells += [cell.rjust(width) for cell, width in zip(row[2:], widths[2:])]
        print("  ".join(cells).rstrip())
    return 0


def compare(args: argparse.Namespace) -> int:
    """``compare A B [--store URL] [--out DIR]``: compare.csv, compare.json and a summary."""
    from segmentation.export import check_out_dir, write_beside

    out = check_out_dir(args.out)
    store = PlanStore(args.store)
    roles = (OUTPUT, DERIVED)  # the input files are not needed
    result = compare_plans(store.get(args.a, roles), store.get(args.b, roles))
    for line in result.summary():
        print(line)
    # Not through write_outputs: its manifest would make a compare written into a run's folder
    # remove that run's files as stale.
    for path in write_beside(result.files(), out):
        print(f"wrote {path}")
    return 0


def show(args: argparse.Namespace) -> int:
    """``show NAME [--store URL] --out DIR``: the plan's files, byte-identical to its run's."""
    from segmentation.export import check_out_dir, write_outputs

    out = check_out_dir(args.out)
    plan = PlanStore(args.store).get(args.name)
    # The run's own writer: the same files, manifest and stale-file handling as `run`.
    outputs = write_outputs(plan.outputs(), out)
    print(f"Plan {plan.name!r}, saved {plan.summary.to_dict()['created']}:")
    for path in outputs.written:
        print(f"wrote {path}")
    for path in outputs.removed:
        print(f"removed {path} (written by an earlier run, not part of this plan)")
    for path in outputs.kept:
        print(f"warning: kept {path}: an earlier run wrote it and it has changed since")
    return 0


def _whole(value) -> str:
    return "" if value is None else f"{value:,.0f}"
