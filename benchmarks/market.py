"""Market benchmark (issue 18): a market list of 1,000,000 companies read, typed and matched.

    python benchmarks/market.py /tmp/bench                # CRM of 10k accounts, market of 1M
    python benchmarks/market.py /tmp/bench --crm 100k --market-rows 200000 --repeats 3

The CRM is ``accounts_<crm>.csv`` of ``generate.py`` (generated when missing), segmented and
planned once (not timed). The market list is written once to ``market_<rows>.csv`` in the same
folder: ``scripts.sample_crm.generate_accounts(rows, seed=11)`` (another seed, so mostly other
companies) as a data provider's list (Company, Website, Industry, Employees, Annual Revenue,
Country), whose first 10 % are CRM accounts with drifted names (upper case, legal suffix
changed) and websites (``https://`` added, ``www.`` dropped). Timed, each step on its own and
then together, best of ``--repeats``: reading (read, map, clean, quality checks: ``load_market``),
typing (vertical and customer type with the CRM's fitted models), matching (website, then
name), and ``analyse_market`` (typing + matching + penetration + whitespace ranking). The
target: read + analyse ≤ 30 s at 1M.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    SIZES,
    accounts_path,
    data_dir,
    ensure_data,
    fmt,
    machine_line,
    peak_rss_mb,
    table,
)

TARGET_S = 30.0


def market_file(folder: Path, rows: int, crm_path: Path) -> Path:
    """Write (once) the market list of ``rows`` companies; 10 % of them drifted CRM accounts."""
    import numpy as np
    import pandas as pd

    from scripts.sample_crm import generate_accounts

    path = folder / f"market_{rows}.csv"
    if path.exists():
        return path
    export, _ = generate_accounts(rows, seed=11, dirty=True)
    columns = {
        "Account Name": "Company",
        "Website": "Website",
        "Industry": "Industry",
        "Employees": "Employees",
        "Annual Revenue": "Annual Revenue",
        "Billing Country": "Country",
    }
    market = export[list(columns)].rename(columns=columns)
    crm = pd.read_csv(crm_path, dtype="str", engine="pyarrow", on_bad_lines="skip")
    crm = crm[crm["Account ID"].str.startswith("0", na=False)]
    k = min(rows // 10, len(crm))
    rng = np.random.default_rng(11)
    known = crm.iloc[rng.choice(len(crm), k, replace=False)]
    drifted = pd.DataFrame(
        {
            "Company": known["Account Name"].str.upper().str.replace(" INC", " Inc.", regex=False),
            "Website": "https://" + known["Website"].str.removeprefix("www."),
            "Industry": known["Industry"],
            "Employees": known["Employees"],
            "Annual Revenue": known["Annual Revenue"],
            "Country": known["Billing Country"],
        }
    )
    market.iloc[:k] = drifted.to_numpy()
    market.to_csv(path, index=False)
    print(f"generated {path} ({path.stat().st_size:,} bytes)", file=sys.stderr)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", help="data folder (outside the repository)")
    parser.add_argument("--crm", default="10k", choices=list(SIZES), help="CRM size (default 10k)")
    parser.add_argument("--market-rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    folder = data_dir(args.folder)
    ensure_data(folder, [args.crm])
    crm_path = accounts_path(folder, args.crm)
    path = market_file(folder, args.market_rows, crm_path)

    from segmentation.market import analyse_market
    from segmentation.market_list import (
        load_market,
        market_features,
        market_verticals,
        match_companies,
    )
    from segmentation.pipeline import load_accounts, plan_teams, segment_accounts
    from segmentation.playbook import load_playbook

    playbook = load_playbook()
    loaded = load_accounts(crm_path)
    seg = segment_accounts(loaded, playbook=playbook)
    team_plan = plan_teams(loaded, seg, playbook)
    crm = loaded.accounts

    best: dict[str, float] = {}

    def timed(name, func):
        t0 = time.perf_counter()
        value = func()
        best[name] = min(best.get(name, float("inf")), time.perf_counter() - t0)
        return value

    def types(market):
        X = market_features(market.companies, market.prepared.extra_features, seg.types.features)
        return seg.types.model.predict(X)

    for _ in range(max(args.repeats, 1)):
        market = timed("read (read, map, clean, quality)", lambda: load_market(path))
        industry = market.companies["industry"]
        timed(
            "type: verticals",
            lambda i=industry: market_verticals(i, crm["industry"], seg.verticals.labels),
        )
        timed("type: customer types", lambda m=market: types(m))
        timed("match (website, then name)", lambda m=market: match_companies(m.companies, crm))
        result = timed(
            "analyse_market (type + match + penetration + ranking)",
            lambda m=market: analyse_market(m, crm, seg, team_plan.book, playbook),
        )
        companies = market.companies
    total = (
        best["read (read, map, clean, quality)"]
        + best["analyse_market (type + match + penetration + ranking)"]
    )
    rows = [[name, fmt(seconds)] for name, seconds in best.items()]
    rows.append(["**read + analyse (the target: ≤ 30 s)**", f"**{fmt(total)}**"])
    m = result.matching
    print(machine_line())
    print(
        f"\nMarket list: {len(companies):,} companies ({path.name}); CRM: {len(crm):,} accounts "
        f"({crm_path.name}); best of {max(args.repeats, 1)}; peak RSS {peak_rss_mb():,.0f} MB.\n"
    )
    print(table(["step", "seconds"], rows))
    print(
        f"\nMatched by website {m['by_website']:,}, by name {m['by_name']:,}, ambiguous "
        f"{m['ambiguous']:,}, not in the CRM {m['not_in_crm']:,}. "
        + ("Within" if total <= TARGET_S else "OVER")
        + f" the {TARGET_S:.0f} s target."
    )


if __name__ == "__main__":
    main()
