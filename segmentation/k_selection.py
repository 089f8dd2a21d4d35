"""How many customer types: every candidate k scored, and the rule that picks one.

Per candidate k, on the subset :class:`segmentation.clustering.CustomerTypeModel` chooses on: a
sampled silhouette (never the O(n²) full score), bootstrap stability (adjusted Rand index between
the reference fit and refits on resamples) and the smallest type's share, and the gap statistic
(Tibshirani, Walther & Hastie 2001): how much tighter the k types are than k types cut through a
structureless reference of the same shape (uniform in the data's principal-axes box), in log
within-type spread. The rule: among candidates whose every type holds ``min_share`` of accounts
and that are stable (ARI ≥ 0.9), take the highest ``gap - 0.15 k`` (each type must earn its
keep); when no k is stable, take the smallest k (tiers, not natural types).

Silhouette is not the rule because it favours the top split of nested structure: on a
HubSpot-style export of four types (two sizes, each with a large- and a small-deal group) it
scored k=2 at 0.84 and k=4 at 0.71, both perfectly stable, and the old silhouette rule merged
the four into two. The gap rises from 0.97 (k=2) to 2.03 (k=4) and falls after it. On 151
planted data sets with 2 to 8 types (well separated, wider, without status, nested in pairs, the
sample generator) the gap rule found the planted number 126 times, the silhouette rule 106; on
the 42 nested ones 22 against 15 (the misses are pairs at 6-8 types, where the accounts with an
off-type status weigh as much as the split inside a pair). The 0.15 per type was the best round
value between 0.08 and 0.2 on that battery.

The silhouettes are also scored on a null reference, the same columns shuffled independently
(no joint structure, same marginals): the clustering's verdict compares the two.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score
from sklearn.utils import check_random_state
from threadpoolctl import threadpool_limits

NULL_SAMPLE = 2_000
"""Rows sampled for the shuffled baseline's silhouettes (it only needs to be right to ~0.01)."""
GAP_ROWS = 5_000
"""Rows of the uniform reference the gap is measured against (its fits are cheap at this size)."""
GAP_PER_TYPE = 0.15
"""Each customer type must earn this much gap: k is the stable candidate with the highest
``gap - GAP_PER_TYPE * k``."""
STABLE = 0.9
"""A k whose stability reaches this (or is within 0.05 of the most stable candidate) counts as stable."""

K_RULE = (
    f"Among the numbers of types that reappear on resampled accounts (stability at least "
    f"{STABLE}) and leave no type under 3% of accounts, the one with the highest gap minus "
    f"{GAP_PER_TYPE} per type: each type must make the types tighter than the same cut through "
    "random data of the same shape would."
)
"""How the number of types is chosen, in words (report.json ``quality.k_rule``)."""
K_CURVE_COLUMNS = (
    "k", "gap", "score", "stability", "silhouette", "null_silhouette", "min_share", "eligible",
    "chosen",
)  # fmt: skip


def sampled_silhouettes(
    X: np.ndarray, labelings: list[np.ndarray], sample_size: int, random_state: int
) -> list[float]:
    """Mean silhouette of several labelings of the same rows, on one shared random sample.

    For each labeling this is ``sklearn.metrics.silhouette_score(X, labels,
    sample_size=sample_size, random_state=random_state)`` (the same sampled rows, the same
    Euclidean distances up to rounding), but the distances between the sampled rows are computed
    once for all labelings instead of once per labeling: choosing k among 7 candidates took
    2.0 s of sampled silhouettes at 5,000 rows, most of it recomputing the same distances.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    labelings : list of ndarray of shape (n_samples,)
        Cluster labels (any integers) per labeling.
    sample_size : int
        Rows sampled (without replacement) for every labeling.
    random_state : int
        Seed of the sample, as in scikit-learn.

    Returns
    -------
    list of float
        One mean silhouette per labeling; NaN where the sample holds fewer than two clusters or
        only singletons (where scikit-learn would raise).
    """
    if not labelings:
        return []
    rows = check_random_state(random_state).permutation(len(X))[: int(sample_size)]
    x = np.asarray(X, dtype="float64")[rows]
    s = len(rows)
    codes, freqs, offsets, blocks = [], [], [], []
    offset = 0
    for labels in labelings:
        _, code = np.unique(np.asarray(labels)[rows], return_inverse=True)
        freq = np.bincount(code)
        codes.append(code)
        freqs.append(freq)
        offsets.append(offset)
        block = np.zeros((s, len(freq)))
        block[np.arange(s), code] = 1.0
        blocks.append(block)
        offset += len(freq)
    members = np.hstack(blocks)  # (s, total clusters): one-hot of every labeling side by side

    sq = np.einsum("ij,ij->i", x, x)
    sums = np.empty((s, offset))
    chunk = max(1, 4_000_000 // max(s, 1))  # ~32 MB of distances at a time
    for start in range(0, s, chunk):
        stop = min(start + chunk, s)
        d2 = sq[start:stop, None] + sq[None, :] - 2.0 * (x[start:stop] @ x.T)
        np.maximum(d2, 0.0, out=d2)
        d = np.sqrt(d2, out=d2)
        d[np.arange(stop - start), np.arange(start, stop)] = 0.0
        sums[start:stop] = d @ members

    scores = []
    for code, freq, off in zip(codes, freqs, offsets):
        m = len(freq)
        if m < 2 or m == s:
            scores.append(float("nan"))
            continue
        own = sums[np.arange(s), off + code]
        means = sums[:, off : off + m] / freq
        means[np.arange(s), code] = np.inf
        b = means.min(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            a = own / (freq[code] - 1)
            sil = (b - a) / np.maximum(a, b)
        scores.append(float(np.mean(np.nan_to_num(sil))))
    return scores


def _uniform_reference(S: np.ndarray, rows: int, rng: np.random.Generator) -> np.ndarray:
    """Uniform points in the data's principal-axes box: the same shape with no types at all.

    Tibshirani, Walther & Hastie (2001), reference (b). The box spans the 0.5th to 99.5th
    percentile on each axis, so a few extreme accounts do not stretch it.
    """
    centre = S.mean(axis=0)
    X = S - centre
    _, _, vt = np.linalg.svd(X, full_matrices=False)
    proj = X @ vt.T
    lo, hi = np.quantile(proj, [0.005, 0.995], axis=0)
    return rng.uniform(lo, hi, size=(rows, proj.shape[1])) @ vt + centre


def _null_reference(S: np.ndarray, n_num: int, rng: np.random.Generator) -> np.ndarray:
    """Columns shuffled independently: same marginals, no joint structure."""
    null = S.copy()
    for j in range(n_num):
        null[:, j] = S[rng.permutation(len(S)), j]
    if S.shape[1] > n_num:
        # The one-hot block moves as a whole, or rows would get two statuses.
        null[:, n_num:] = S[rng.permutation(len(S)), n_num:]
    return null


def score_k(
    S: np.ndarray, null: np.ndarray, uniform: np.ndarray, k: int, seed: int, n_resamples: int
) -> tuple[dict, np.ndarray, np.ndarray, np.ndarray]:
    """Stability, gap and smallest share of k types on ``S``, with its labels and the null's.

    Parameters
    ----------
    S : ndarray of shape (n_samples, n_features)
        The transformed subset k is chosen on.
    null, uniform : ndarray
        The shuffled-columns and the uniform references.
    k : int
    seed : int
    n_resamples : int
        Bootstrap refits for the stability (0: stability 1).

    Returns
    -------
    (dict, ndarray, ndarray, ndarray)
        The selection row (``k``, ``stability``, ``min_share``, ``gap``), the reference fit's
        centres, its labels and the null reference's labels.
    """
    ref = KMeans(n_clusters=k, n_init=4, random_state=seed).fit(S)
    labels = ref.labels_
    stab = []
    rng = np.random.default_rng(seed + 1000 * k)
    for r in range(int(n_resamples)):
        boot = rng.integers(0, len(S), len(S))
        refit = KMeans(n_clusters=k, n_init=2, random_state=seed + r + 1).fit(S[boot])
        stab.append(adjusted_rand_score(labels, refit.predict(S)))
    null_labels = KMeans(n_clusters=k, n_init=2, random_state=seed).fit_predict(null)
    # Gap statistic (Tibshirani, Walther & Hastie 2001): log within-type spread of the
    # structureless reference minus that of the data, both per row so the sizes may differ.
    spread_uniform = KMeans(n_clusters=k, n_init=2, random_state=seed).fit(uniform).inertia_
    # Floored so that k = the number of distinct profiles (zero spread) stays a finite number.
    floor = 1e-6 * float(((S - S.mean(axis=0)) ** 2).sum())
    gap = np.log(spread_uniform / len(uniform)) - np.log(max(ref.inertia_, floor) / len(S))
    row = {
        "k": k,
        "stability": float(np.mean(stab)) if stab else 1.0,
        "min_share": float(np.bincount(labels, minlength=k).min() / len(S)),
        "gap": float(gap),
    }
    return row, ref.cluster_centers_, labels, null_labels


def score_candidates(
    S: np.ndarray,
    n_num: int,
    ks: list[int],
    *,
    n_resamples: int,
    sample_size: int,
    seed: int,
    rng: np.random.Generator,
) -> tuple[pd.DataFrame, dict[int, np.ndarray]]:
    """Score every candidate k on the subset ``S``.

    Parameters
    ----------
    S : ndarray of shape (n_samples, n_features)
        The transformed subset: ``n_num`` standardised numbers, then the one-hot block.
    n_num : int
        How many of the columns are numbers (the rest are shuffled together).
    ks : list of int
        The candidates.
    n_resamples : int
        Bootstrap refits per candidate for the stability.
    sample_size : int
        Accounts sampled for each silhouette.
    seed : int
    rng : numpy.random.Generator
        Draws both references (the caller's generator, so a seed gives the same types).

    Returns
    -------
    (pandas.DataFrame, dict)
        One row per candidate: ``k``, ``silhouette``, ``stability``, ``null_silhouette``,
        ``min_share``, ``gap`` and ``score`` (``gap - GAP_PER_TYPE * k``); and each candidate's
        centres, to seed the final fit.
    """
    null = _null_reference(S, n_num, rng)
    uniform = _uniform_reference(S, min(len(S), GAP_ROWS), rng)
    rows, centers, labelings, null_labelings = [], {}, [], []
    # Dozens of small fits and sampled silhouettes: threads cost more than they give here (measured 8x
    # slower on a busy 2-core box), and the app serves other sessions meanwhile.
    with threadpool_limits(limits=1):
        for k in ks:
            row, centers[k], labels, null_labels = score_k(S, null, uniform, k, seed, n_resamples)
            rows.append(row)
            labelings.append(labels)
            null_labelings.append(null_labels)
        size = min(int(sample_size), len(S))
        silhouettes = sampled_silhouettes(S, labelings, size, seed)
        # The baseline only needs to be right to ~0.01: a smaller sample (cost is quadratic).
        null_silhouettes = sampled_silhouettes(null, null_labelings, min(size, NULL_SAMPLE), seed)
    selection = pd.DataFrame(rows)
    selection.insert(1, "silhouette", silhouettes)
    selection.insert(3, "null_silhouette", null_silhouettes)
    selection["score"] = selection["gap"] - GAP_PER_TYPE * selection["k"]
    return selection, centers


def eligible(selection: pd.DataFrame, min_share: float) -> pd.Series:
    """Candidates k may be chosen from: every type big enough, and stable.

    Parameters
    ----------
    selection : pandas.DataFrame
        ``k``, ``stability`` and ``min_share`` per candidate.
    min_share : float
        The smallest type's share a candidate needs (ignored when no candidate has it).

    Returns
    -------
    pandas.Series of bool
    """
    big = selection["min_share"] >= min_share
    if not big.any():
        big = pd.Series(True, index=selection.index)
    top = selection.loc[big, "stability"].max()
    return big & (selection["stability"] >= min(STABLE, top - 0.05)) & (top >= STABLE)


def choose_k(selection: pd.DataFrame, min_share: float) -> int:
    """The number of types: the eligible candidate with the highest score.

    Parameters
    ----------
    selection : pandas.DataFrame
        ``k``, ``min_share``, ``score`` and ``eligible`` per candidate.
    min_share : float

    Returns
    -------
    int
        With no eligible candidate, the smallest k whose types are big enough.
    """
    ok = selection[selection["eligible"]]
    if ok.empty:
        # Nothing is stable: there are no natural types, only tiers, and the fewest tiers
        # are the easiest to act on.
        big = selection[selection["min_share"] >= min_share]
        return int((big if not big.empty else selection)["k"].min())
    # Gap per type, not silhouette: silhouette favours the top split of nested types.
    return int(ok.loc[ok["score"].idxmax(), "k"])


def k_curve(selection: pd.DataFrame) -> list[dict]:
    """The k-selection curve as plain records (``report.json`` ``quality.k_curve``).

    Parameters
    ----------
    selection : pandas.DataFrame
        :attr:`segmentation.clustering.CustomerTypeModel.selection_`.

    Returns
    -------
    list of dict
        One record per candidate k with :data:`K_CURVE_COLUMNS`; scores rounded to 4 places.
    """
    records = []
    for row in selection[[c for c in K_CURVE_COLUMNS if c in selection]].to_dict("records"):
        records.append(
            {
                c: int(v)
                if c == "k"
                else bool(v)
                if c in ("chosen", "eligible")
                else round(float(v), 4)
                for c, v in row.items()
            }
        )
    return records
