"""Saving a plan to the plan store: what ``run --save NAME`` adds to a run (target ≤ 2 s at 100k).

For each size, the pipeline runs once (not timed) on ``accounts_<size>.csv``; then each repeat
times, in this process, what ``run --save`` does after the files are written: read the input
file and build the plan's files (:func:`segmentation.store.plans.plan_files_from_run`: the
account values, the fingerprint) and save them in one transaction
(:meth:`segmentation.store.PlanStore.save`). Two cases: the first save into a new SQLite file
(the tables made by the Alembic migration) and a save into a store that already holds plans.
Reading the plan back (``show``'s read, without writing files) is timed too.

    python benchmarks/generate.py /tmp/bench --sizes 100k
    python benchmarks/store_save.py /tmp/bench --sizes 100k
    python benchmarks/store_save.py /tmp/bench --sizes 100k --store postgresql+psycopg://…

Figures are the best (minimum) of ``--repeats`` (default 3), with the 1-minute load average.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from common import accounts_path, data_dir, ensure_data, load_text, machine_line, parse_sizes, table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "folder", nargs="?", help="data folder (default $TMPDIR/segmentation-bench)"
    )
    parser.add_argument("--sizes", default="100k", help="comma-separated: 10k,100k,1m")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--store", help="a store URL instead of a new SQLite file per repeat")
    args = parser.parse_args(argv)
    folder = data_dir(args.folder)
    labels = parse_sizes(args.sizes)
    ensure_data(folder, labels)

    from segmentation.pipeline import run
    from segmentation.store import PlanStore
    from segmentation.store.plans import input_file, plan_files_from_run

    print(machine_line())
    rows = []
    for label in labels:
        path = accounts_path(folder, label)
        started = time.perf_counter()
        result = run(path)
        files = result.files()
        print(f"{label}: pipeline {time.perf_counter() - started:.1f} s (not part of the figures)")
        timings = {"build": [], "first": [], "again": [], "read": []}
        stored_mb = 0.0
        for repeat in range(args.repeats):
            with tempfile.TemporaryDirectory(prefix="store-bench-") as tmp:
                url = args.store or f"sqlite:///{Path(tmp) / 'plans.db'}"
                store = PlanStore(url)
                for case in ("first", "again"):
                    name = f"bench {label} {repeat} {case}"
                    t0 = time.perf_counter()
                    stored, meta, digest = plan_files_from_run(
                        result, [input_file("accounts", path)], files
                    )
                    t1 = time.perf_counter()
                    store.save(name, stored, meta=meta, fingerprint=digest, replace=True)
                    t2 = time.perf_counter()
                    timings[case].append(t2 - t0)
                    if case == "first":
                        timings["build"].append(t1 - t0)
                    stored_mb = sum(len(f.data) for f in stored) / 1e6
                t0 = time.perf_counter()
                plan = store.get(name)
                timings["read"].append(time.perf_counter() - t0)
                assert plan.outputs() == files  # byte-identical round trip
                if args.store:
                    for case in ("first", "again"):
                        store.delete(f"bench {label} {repeat} {case}")
        rows.append([
            label,
            f"{len(result.team_plan.assignments):,}",
            f"{stored_mb:.1f}",
            f"{min(timings['build']):.2f}",
            f"{min(timings['first']):.2f}",
            f"{min(timings['again']):.2f}",
            f"{min(timings['read']):.2f}",
        ])  # fmt: skip
    store_name = "given store" if args.store else "new SQLite file"
    print(table(
        ["size", "accounts", "stored MB", "build files s", f"first save ({store_name}) s",
         "save into a store with plans s", "read back s"],
        rows,
    ))  # fmt: skip
    print(f"load average: {load_text()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
