"""Time and peak memory of every pipeline stage at 10k, 100k and 1M accounts, and end to end.

Each repeat runs in a fresh subprocess (so imports, caches and memory start cold and each size's
peak RSS is its own): the child times every stage with ``time.perf_counter`` and reads its peak
RSS (``resource.getrusage(RUSAGE_SELF).ru_maxrss``) after each stage. The stages are those of
:mod:`segmentation.pipeline` (``load_accounts`` → ``segment_accounts`` → ``plan_teams`` →
``Run.files()``), called one by one:

    read            ingest.read_table (bytes → all-text frame, footer removed)
    map             schema.infer_mapping
    clean           accounts.prepare_accounts
    quality         quality.quality_report
    features        features.build_features
    verticals       verticals.assign_verticals
    customer types  clustering.customer_types (k selection + stability + final fit + naming);
                    the k-selection share is shown on its own line
    profiles        profiles.segment_profiles + profiles.explain_customer_types
    plan            pipeline.plan_teams (coverage plan, team per account, account value)
    territories     pipeline.preview_territories (placeholder reps, balanced books)
    export          Run.files() (assignments/segments/teams CSV + report.json, as bytes)

Also measured: a playbook change (``plan_teams`` again with another ``quota_field``, load and
segment cached), bare ``pandas.read_csv(engine="pyarrow")`` of the same file (the reading
yardstick), ``python -c "import segmentation.pipeline"`` (process start), and the whole
``python -m segmentation run FILE --out DIR`` as a subprocess (process start and file writing
included). Quality: ARI of customer types vs the planted types and vertical purity.

Every figure is the best (minimum) of ``--repeat`` runs; the load average is printed with it.

Usage::

    python benchmarks/stages.py [DIR] [--sizes 10k,100k,1m] [--repeat 3]

DIR holds the files of ``benchmarks/generate.py`` (generated there if missing).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time

from common import (
    SIZES,
    accounts_path,
    child_json,
    data_dir,
    ensure_data,
    fmt,
    load_text,
    machine,
    machine_line,
    parse_sizes,
    peak_rss_mb,
    run_with_rusage,
    table,
    truth_path,
    types_ari,
    vertical_purity,
)

STAGES = (
    "read",
    "map",
    "clean",
    "quality",
    "features",
    "verticals",
    "customer types",
    "profiles",
    "plan",
    "territories",
    "export",
)
TARGETS = {"100k": 5.0, "1m": 30.0}


# --------------------------------------------------------------------------------------------
# Child: one cold run of every stage
# --------------------------------------------------------------------------------------------


def child(path: str, truth_file: str) -> dict:
    t0 = time.perf_counter()
    from segmentation import k_selection, pipeline
    from segmentation.accounts import prepare_accounts
    from segmentation.clustering import customer_types
    from segmentation.features import build_features
    from segmentation.ingest import read_table
    from segmentation.playbook import load_playbook
    from segmentation.profiles import explain_customer_types, segment_profiles
    from segmentation.quality import quality_report
    from segmentation.run_result import Run
    from segmentation.schema import infer_mapping
    from segmentation.verticals import assign_verticals

    times: dict[str, float] = {"import": time.perf_counter() - t0}
    rss: dict[str, float] = {"import": peak_rss_mb()}

    # The share of customer types spent choosing k (scores for every candidate k).
    selection = {"s": 0.0}
    score_k = k_selection.score_k

    def timed_score_k(*args, **kwargs):
        s = time.perf_counter()
        try:
            return score_k(*args, **kwargs)
        finally:
            selection["s"] += time.perf_counter() - s

    k_selection.score_k = timed_score_k

    clock = [time.perf_counter()]

    def done(stage: str) -> None:
        now = time.perf_counter()
        times[stage] = now - clock[0]
        rss[stage] = peak_rss_mb()
        clock[0] = time.perf_counter()

    playbook = load_playbook()
    clock[0] = time.perf_counter()
    raw, info = read_table(path)
    done("read")
    mapping = infer_mapping(raw)
    done("map")
    prepared = prepare_accounts(raw, mapping)
    done("clean")
    quality = quality_report(raw, mapping, prepared)
    done("quality")
    loaded = pipeline.LoadedAccounts(raw, info, mapping, prepared, quality)
    accounts, extra = loaded.accounts, prepared.extra_features
    clock[0] = time.perf_counter()
    features = build_features(accounts, extra)
    done("features")
    verticals = assign_verticals(accounts["industry"] if "industry" in mapping.columns else None)
    done("verticals")
    types = customer_types(accounts, extra, seed=0)
    done("customer types")
    profiles = segment_profiles(accounts, verticals.labels, types.labels)
    explanations = explain_customer_types(features, types.ids, types.labels, random_state=0)
    done("profiles")
    segmentation = pipeline.Segmentation(verticals, types, features, profiles, explanations)
    team_plan = pipeline.plan_teams(loaded, segmentation, playbook, seed=0)
    done("plan")
    preview = pipeline.preview_territories(team_plan, seed=0)
    done("territories")
    run = Run(loaded, segmentation, team_plan, playbook, {"seed": 0})
    files = run.files()
    done("export")

    # A playbook change: the plan again from cached load + segment.
    changed = []
    quota = playbook.value("quota_field")
    for i in range(3):
        other = playbook.with_values(quota_field=quota * (1.1 + 0.1 * i))
        s = time.perf_counter()
        pipeline.plan_teams(loaded, segmentation, other, seed=0)
        changed.append(time.perf_counter() - s)

    import pandas as pd

    truth = read_truth_file(truth_file)
    return {
        "times": times,
        "rss": rss,
        "selection_s": selection["s"],
        "playbook_change_s": min(changed),
        "rows": len(accounts),
        "k": int(types.quality["k"]),
        "verdict": types.quality["verdict"],
        "ari": types_ari(truth, types.labels),
        "purity": vertical_purity(truth, verticals.labels, accounts["industry"]),
        "verticals": len(verticals.table),
        "teams": len(team_plan.plan.teams),
        "reps_previewed": len(preview.reps),
        "files_mb": sum(len(b) for b in files.values()) / 1e6,
        "pandas": pd.__version__,
    }


def read_truth_file(path: str):
    import pandas as pd

    return pd.read_csv(path, dtype="str", keep_default_na=False)


def child_baseline(path: str) -> dict:
    """Bare pandas + pyarrow reading the same file (footer lines skipped), the yardstick."""
    import pandas as pd
    import pyarrow.csv  # noqa: F401  (pandas imports it lazily on the first call: not reading)

    s = time.perf_counter()
    df = pd.read_csv(path, engine="pyarrow", on_bad_lines="skip")
    bare = time.perf_counter() - s
    s = time.perf_counter()
    pd.read_csv(path, engine="pyarrow", on_bad_lines="skip", dtype="str")
    text = time.perf_counter() - s
    return {"bare": bare, "bare_str": text, "rows": len(df)}


# --------------------------------------------------------------------------------------------
# Parent: repeats, best-of, tables
# --------------------------------------------------------------------------------------------


def measure(folder, label: str, repeat: int) -> dict:
    path, truth = str(accounts_path(folder, label)), str(truth_path(folder, label))
    me = [sys.executable, __file__]
    runs, loads = [], []
    for _ in range(repeat):
        loads.append(load_text())
        res = run_with_rusage([*me, "--child", path, truth])
        out = child_json(res)
        out["peak_mb"] = res["rss_mb"]
        out["wall"] = res["wall"]
        runs.append(out)
    base = [child_json(run_with_rusage([*me, "--baseline", path])) for _ in range(repeat)]
    start = [
        run_with_rusage([sys.executable, "-c", "import segmentation.pipeline"])
        for _ in range(repeat)
    ]
    e2e, e2e_loads = [], []
    for _ in range(repeat):
        out_dir = tempfile.mkdtemp(prefix="segbench-out-")
        e2e_loads.append(load_text())
        res = run_with_rusage([sys.executable, "-m", "segmentation", "run", path, "--out", out_dir])
        shutil.rmtree(out_dir, ignore_errors=True)
        if res["rc"] != 0:
            raise RuntimeError(f"segmentation run failed:\n{res['stderr'][-2000:]}")
        e2e.append(res)
    best = {s: min(r["times"][s] for r in runs) for s in ("import", *STAGES)}
    return {
        "label": label,
        "runs": runs,
        "loads": loads,
        "best": best,
        "selection_s": min(r["selection_s"] for r in runs),
        "playbook_change_s": min(r["playbook_change_s"] for r in runs),
        "rss": {s: max(r["rss"][s] for r in runs) for s in ("import", *STAGES)},
        "peak_mb": max(r["peak_mb"] for r in runs),
        "bare_read": min(b["bare"] for b in base),
        "bare_read_str": min(b["bare_str"] for b in base),
        "process_start": min(r["wall"] for r in start),
        "e2e": min(r["wall"] for r in e2e),
        "e2e_all": [r["wall"] for r in e2e],
        "e2e_peak_mb": max(r["rss_mb"] for r in e2e),
        "e2e_loads": e2e_loads,
        "ari": runs[0]["ari"],
        "purity": runs[0]["purity"],
        "k": runs[0]["k"],
        "verdict": runs[0]["verdict"],
        "rows": runs[0]["rows"],
    }


def report(results: list[dict], info: dict) -> str:
    labels = [r["label"] for r in results]
    out = [machine_line(info), ""]
    out.append("Per stage, seconds (best of the repeats; peak RSS after the stage in MB):\n")
    rows = []
    for s in ("import", *STAGES):
        rows.append([s, *(x for r in results for x in (r["best"][s], f"{r['rss'][s]:,.0f}"))])
        if s == "customer types":
            rows.append(
                ["  of which k selection", *(x for r in results for x in (r["selection_s"], ""))]
            )
    rows.append(
        [
            "sum of stages (excl. import)",
            *(
                x
                for r in results
                for x in (sum(r["best"][s] for s in STAGES), f"{r['peak_mb']:,.0f}")
            ),
        ]
    )
    headers = ["stage"] + [h for lab in labels for h in (f"{lab} s", f"{lab} MB")]
    out.append(table(headers, rows))
    out.append("")
    out.append("End to end and targets:\n")
    rows = []
    rows.append(
        ["`python -m segmentation run` wall (incl. process start)", *(r["e2e"] for r in results)]
    )
    rows.append(["  all repeats", *(" / ".join(fmt(x) for x in r["e2e_all"]) for r in results)])
    rows.append(["  peak RSS MB", *(f"{r['e2e_peak_mb']:,.0f}" for r in results)])
    rows.append(
        ["process start (`import segmentation.pipeline`)", *(r["process_start"] for r in results)]
    )
    rows.append(
        ["playbook change (`plan_teams` alone)", *(r["playbook_change_s"] for r in results)]
    )
    rows.append(["read (`read_table`)", *(r["best"]["read"] for r in results)])
    rows.append(['bare `pd.read_csv(engine="pyarrow")`', *(r["bare_read"] for r in results)])
    rows.append(["  same, `dtype=str`", *(r["bare_read_str"] for r in results)])
    rows.append(["read ÷ bare", *(f"{r['best']['read'] / r['bare_read']:.1f}×" for r in results)])
    rows.append(["customer types: k, verdict", *(f"{r['k']}, {r['verdict']}" for r in results)])
    rows.append(["ARI vs planted types", *(f"{r['ari']:.3f}" for r in results)])
    rows.append(["vertical purity (labelled accounts)", *(f"{r['purity']:.3f}" for r in results)])
    rows.append(["1-min load, stage runs", *(_load_range(r["loads"]) for r in results)])
    rows.append(["1-min load, end-to-end runs", *(_load_range(r["e2e_loads"]) for r in results)])
    out.append(table(["measure"] + labels, rows))
    out.append("")
    checks = []
    for r in results:
        if r["label"] in TARGETS:
            target = TARGETS[r["label"]]
            ok = r["e2e"] <= target
            checks.append(
                f"- {r['label']} end to end {fmt(r['e2e'])} s (target ≤ {target:g} s): "
                f"{'met' if ok else 'NOT met'}"
            )
        if r["label"] == "1m":
            ok = r["e2e_peak_mb"] <= 2048
            checks.append(
                f"- 1m peak memory {r['e2e_peak_mb']:,.0f} MB (target ≤ 2,048 MB): {'met' if ok else 'NOT met'}"
            )
        if r["label"] == "100k":
            ok = r["playbook_change_s"] <= 1.0
            checks.append(
                f"- 100k playbook change {fmt(r['playbook_change_s'])} s (target ≤ 1 s): "
                f"{'met' if ok else 'NOT met'}"
            )
        ratio = r["best"]["read"] / r["bare_read"]
        checks.append(
            f"- {r['label']} read {ratio:.1f}× bare pyarrow (target ≤ 3×): {'met' if ratio <= 3 else 'NOT met'}"
        )
    out.append("Targets (measured, not asserted):\n")
    out.extend(checks)
    return "\n".join(out)


def _load_range(loads: list[str]) -> str:
    """The 1-minute load averages seen at the start of each repeat, as "low–high"."""
    ones = [float(x.split("/")[0]) for x in loads]
    return f"{min(ones):.1f}–{max(ones):.1f}"


def main(argv: list[str] | None = None) -> int:
    if argv is None:
        argv = sys.argv[1:]
    if argv[:1] == ["--child"]:
        print(json.dumps(child(argv[1], argv[2])))
        return 0
    if argv[:1] == ["--baseline"]:
        print(json.dumps(child_baseline(argv[1])))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dir", nargs="?", help="data folder (default: $TMPDIR/segmentation-bench)")
    parser.add_argument("--sizes", default=",".join(SIZES))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", help="also write the raw results to this file")
    args = parser.parse_args(argv)
    folder = data_dir(args.dir)
    labels = parse_sizes(args.sizes)
    ensure_data(folder, labels)
    info = machine()
    results = []
    for label in labels:
        print(
            f"measuring {label} ({SIZES[label]:,} accounts, {args.repeat} repeats, load {load_text()})...",
            file=sys.stderr,
        )
        results.append(measure(folder, label, args.repeat))
    info["load_end"] = load_text()
    print(report(results, info))
    print(f"\nload at the end: {info['load_end']}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"machine": info, "results": results}, fh, indent=1, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main())
