"""Customer types vs the usual alternatives, on the same accounts and the same feature columns.

Contenders, each scored by ARI against the planted customer types:

ours (auto k)      ``segmentation.clustering.customer_types``: k chosen in 2-8 by sampled
                   silhouette + bootstrap stability on a subset, then one fit on all accounts.
ours (k = 5)       the same with the number of types fixed to the planted 5 (no selection).
KPrototypes        ``kmodes.kprototypes.KPrototypes`` (Huang's k-prototypes, the usual answer for
                   mixed numeric/categorical CRM data) on the same columns: the standardised
                   log-scaled numbers and the status category; k = 5 given, init "Cao",
                   ``--kproto-n-init`` inits (library default 10). It cannot choose k by itself:
                   choosing among 2-8 would cost about 7× more.
textbook sklearn   ``ColumnTransformer(StandardScaler, OneHotEncoder)`` + ``KMeans(n_init=10)`` for
                   every k in 2-8 on all accounts, k chosen by the FULL ``silhouette_score``
                   (O(n²) distances). The fits are measured at every size; the full silhouette
                   only up to ``--textbook-max`` accounts and extrapolated quadratically beyond
                   (the exponent measured between 5k and 10k is printed as a check), with the
                   ARI then shown for the k a 20k-row sampled silhouette would pick.

Slow contenders are run where they finish in reasonable time (KPrototypes up to ``--kproto-max``
accounts, once above 10k) and extrapolated linearly beyond, marked "≈" (k-prototypes costs
O(n · k · iterations) per init).

Usage::

    python benchmarks/alternatives.py [DIR] [--sizes 10k,100k,1m] [--repeat 3]
                                      [--kproto-max 100k] [--kproto-n-init 2] [--textbook-max 10k]
"""

from __future__ import annotations

import argparse
import sys
import time

from common import (
    SIZES,
    accounts_path,
    data_dir,
    ensure_data,
    fmt,
    load_text,
    machine_line,
    parse_sizes,
    read_truth,
    table,
    types_ari,
)

K_RANGE = range(2, 9)
PLANTED_K = 5


def best_of(repeat: int, fn):
    """(best seconds, last result) over ``repeat`` runs."""
    best, result = float("inf"), None
    for _ in range(max(1, repeat)):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def prepare(folder, label: str):
    from segmentation.features import build_features, categorical_columns, numeric_columns
    from segmentation.pipeline import load_accounts

    loaded = load_accounts(accounts_path(folder, label))
    accounts, extra = loaded.accounts, loaded.prepared.extra_features
    features = build_features(accounts, extra)
    return {
        "accounts": accounts,
        "extra": extra,
        "features": features,
        "num": numeric_columns(features),
        "cat": categorical_columns(features),
        "truth": read_truth(folder, label),
    }


def ours(data, repeat: int, n_types: int | None):
    from segmentation.clustering import customer_types

    seconds, result = best_of(
        repeat, lambda: customer_types(data["accounts"], data["extra"], n_types=n_types, seed=0)
    )
    return {"s": seconds, "ari": types_ari(data["truth"], result.labels), "k": result.quality["k"]}


def kprototypes(data, repeat: int, n_init: int):
    import numpy as np
    from kmodes.kprototypes import KPrototypes
    from sklearn.preprocessing import StandardScaler

    features = data["features"]
    numbers = StandardScaler().fit_transform(features[data["num"]].to_numpy(dtype="float64"))
    X = np.empty((len(features), numbers.shape[1] + len(data["cat"])), dtype=object)
    X[:, : numbers.shape[1]] = numbers
    for j, c in enumerate(data["cat"]):
        X[:, numbers.shape[1] + j] = features[c].astype(str).to_numpy()
    categorical = list(range(numbers.shape[1], X.shape[1]))

    def fit():
        model = KPrototypes(
            n_clusters=PLANTED_K, init="Cao", n_init=n_init, random_state=0, n_jobs=1
        )
        return model.fit(X, categorical=categorical)

    seconds, model = best_of(repeat, fit)
    return {
        "s": seconds,
        "ari": types_ari(data["truth"], model.labels_),
        "per_init": seconds / n_init,
        "iterations": int(model.n_iter_),
    }


def textbook(data, full_silhouette: bool, silhouette_model: dict | None, repeat: int):
    import numpy as np
    from sklearn.cluster import KMeans
    from sklearn.compose import ColumnTransformer
    from sklearn.metrics import silhouette_score
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    features = data["features"]
    n = len(features)

    def run():
        pre = ColumnTransformer(
            [
                ("num", StandardScaler(), data["num"]),
                ("cat", OneHotEncoder(sparse_output=False, handle_unknown="ignore"), data["cat"]),
            ]
        )
        Z = pre.fit_transform(features)
        fits, fit_s, sil, sil_s = {}, 0.0, {}, 0.0
        for k in K_RANGE:
            t0 = time.perf_counter()
            fits[k] = KMeans(n_clusters=k, n_init=10, random_state=0).fit(Z).labels_
            fit_s += time.perf_counter() - t0
            if full_silhouette:
                t0 = time.perf_counter()
                sil[k] = silhouette_score(Z, fits[k])
                sil_s += time.perf_counter() - t0
        return Z, fits, fit_s, sil, sil_s

    runs = [run() for _ in range(max(1, repeat))]
    Z, fits, _, sil, _ = runs[-1]
    fit_s = min(r[2] for r in runs)
    if full_silhouette:
        sil_s = min(r[4] for r in runs)
        chosen = max(sil, key=sil.get)
        estimated = False
    else:
        # Quadratic extrapolation from the measured full silhouette; the choice of k (for the
        # ARI) from a 20k-row sampled silhouette, which is what the full score would be near.
        sil_s = silhouette_model["per_k_at"] * (n / silhouette_model["n"]) ** 2 * len(K_RANGE)
        rng = np.random.default_rng(0)
        pick = rng.choice(n, min(n, 20_000), replace=False)
        sampled = {k: silhouette_score(Z[pick], fits[k][pick]) for k in K_RANGE}
        chosen = max(sampled, key=sampled.get)
        estimated = True
    return {
        "s": fit_s + sil_s,
        "fit_s": fit_s,
        "silhouette_s": sil_s,
        "estimated": estimated,
        "k": chosen,
        "ari": types_ari(data["truth"], fits[chosen]),
    }


def silhouette_scaling(data) -> dict:
    """Full silhouette time per k at 5k and 10k rows (one labelling): the quadratic's anchor."""
    import numpy as np
    from sklearn.cluster import KMeans
    from sklearn.compose import ColumnTransformer
    from sklearn.metrics import silhouette_score
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    features = data["features"]
    pre = ColumnTransformer(
        [
            ("num", StandardScaler(), data["num"]),
            ("cat", OneHotEncoder(sparse_output=False, handle_unknown="ignore"), data["cat"]),
        ]
    )
    Z = pre.fit_transform(features)
    times = {}
    for m in (5_000, 10_000):
        if m > len(Z):
            continue
        sub = Z[np.random.default_rng(1).choice(len(Z), m, replace=False)]
        labels = KMeans(n_clusters=PLANTED_K, n_init=1, random_state=0).fit_predict(sub)
        times[m], _ = best_of(2, lambda sub=sub, labels=labels: silhouette_score(sub, labels))
    n_ref = max(times)
    exponent = (
        (np.log(times[10_000] / times[5_000]) / np.log(2)) if len(times) == 2 else float("nan")
    )
    return {"n": n_ref, "per_k_at": times[n_ref], "exponent": float(exponent)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dir", nargs="?", help="data folder (default: $TMPDIR/segmentation-bench)")
    parser.add_argument("--sizes", default="10k,100k,1m")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--kproto-max", default="100k", help="largest size KPrototypes really runs at"
    )
    parser.add_argument("--kproto-n-init", type=int, default=2)
    parser.add_argument(
        "--textbook-max", default="10k", help="largest size for the full silhouette"
    )
    parser.add_argument(
        "--textbook-fits-max",
        default="100k",
        help="largest size the textbook KMeans fits really run at",
    )
    args = parser.parse_args(argv)
    folder = data_dir(args.dir)
    labels = parse_sizes(args.sizes)
    ensure_data(folder, labels)
    kproto_max = SIZES[parse_sizes(args.kproto_max)[0]]
    textbook_max = SIZES[parse_sizes(args.textbook_max)[0]]
    fits_max = SIZES[parse_sizes(args.textbook_fits_max)[0]]
    print(machine_line(), file=sys.stderr)

    times, scores, ratios, notes, sil_model = [], [], [], [], None
    kp_per_row = tb_fit_per_row = None
    for label in labels:
        n = SIZES[label]
        load = load_text()
        print(f"{label}: preparing (load {load})...", file=sys.stderr)
        data = prepare(folder, label)
        if sil_model is None:
            sil_model = silhouette_scaling(data)
            notes.append(
                f"full silhouette, one k: {fmt(sil_model['per_k_at'])} s at {sil_model['n']:,} rows; "
                f"measured exponent 5k→10k {sil_model['exponent']:.2f} (quadratic assumed beyond)"
            )
        print(f"{label}: ours...", file=sys.stderr)
        auto = ours(data, args.repeat, None)
        fixed = ours(data, args.repeat, PLANTED_K)

        if n <= kproto_max:
            print(f"{label}: KPrototypes ({args.kproto_n_init} init)...", file=sys.stderr)
            kp = kprototypes(data, args.repeat if n <= 10_000 else 1, args.kproto_n_init)
            kp_per_row = kp["s"] / n
            kp_text, kp_ari = fmt(kp["s"]), f"{kp['ari']:.3f}"
            notes.append(
                f"KPrototypes {label}: {fmt(kp['per_init'])} s per init, {kp['iterations']} iterations"
                f"{'' if n <= 10_000 else ' (run once)'}"
            )
        else:
            kp = {"s": kp_per_row * n if kp_per_row else float("nan"), "ari": float("nan")}
            kp_text, kp_ari = f"≈{fmt(kp['s'])}", "—"

        if n <= fits_max:
            print(
                f"{label}: textbook KMeans + {'full' if n <= textbook_max else 'extrapolated'} silhouette...",
                file=sys.stderr,
            )
            tb = textbook(data, n <= textbook_max, sil_model, args.repeat if n <= 10_000 else 1)
            tb_fit_per_row = tb["fit_s"] / n
            tb_text = f"{'≈' if tb['estimated'] else ''}{fmt(tb['s'])}"
            tb_ari = (
                f"{tb['ari']:.3f}{' (k from 20k sample)' if tb['estimated'] else ''}, k={tb['k']}"
            )
            notes.append(
                f"textbook {label}: KMeans fits {fmt(tb['fit_s'])} s (measured), full silhouette "
                f"{'≈' if tb['estimated'] else ''}{fmt(tb['silhouette_s'])} s"
            )
        else:
            sil_s = sil_model["per_k_at"] * (n / sil_model["n"]) ** 2 * len(K_RANGE)
            tb = {"s": tb_fit_per_row * n + sil_s}
            tb_text, tb_ari = f"≈{fmt(tb['s'])}", "—"
            notes.append(
                f"textbook {label}: fits ≈{fmt(tb_fit_per_row * n)} s (linear), full silhouette ≈{fmt(sil_s)} s"
            )

        kp10 = kp["s"] / args.kproto_n_init * 10
        times.append(
            [
                label,
                auto["s"],
                fixed["s"],
                kp_text,
                f"≈{fmt(kp10)}",
                tb_text,
                load,
            ]
        )
        scores.append(
            [label, f"{auto['ari']:.3f} (k={auto['k']})", f"{fixed['ari']:.3f}", kp_ari, tb_ari]
        )
        ratios.append(
            [
                label,
                f"{kp['s'] / auto['s']:.0f}×",
                f"{kp['s'] / fixed['s']:.0f}×",
                f"{kp10 / auto['s']:.0f}×",
                f"{tb['s'] / auto['s']:.0f}×",
            ]
        )
    print("Seconds (best of the repeats; one run where noted; ≈ extrapolated):\n")
    print(
        table(
            [
                "size",
                "ours, k chosen",
                "ours, k=5",
                f"KPrototypes k=5, {args.kproto_n_init} init",
                "KPrototypes, default 10 inits",
                "textbook (7 k, full silhouette)",
                "load",
            ],
            times,
        )
    )
    print("\nARI vs the planted customer types:\n")
    print(table(["size", "ours, k chosen", "ours, k=5", "KPrototypes", "textbook"], scores))
    print("\nRatios (their time ÷ ours):\n")
    print(
        table(
            [
                "size",
                f"KPrototypes ({args.kproto_n_init} init) ÷ ours k chosen",
                f"KPrototypes ({args.kproto_n_init} init) ÷ ours k=5",
                "KPrototypes (10 inits) ÷ ours k chosen",
                "textbook ÷ ours k chosen",
            ],
            ratios,
        )
    )
    print()
    for note in notes:
        print(f"- {note}")
    print(f"\n{machine_line()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
