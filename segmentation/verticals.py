"""Verticals: map a dirty ``industry`` column onto a short, documented taxonomy.

CRM industry fields are free text or half-maintained picklists: "Technolgy", "hospital & health
care", "SaaS", "NAICS 62", "Banking ". :class:`VerticalClassifier` matches each distinct label
against the known labels of :file:`taxonomy.toml` (Salesforce, HubSpot and LinkedIn picklists,
Fortune 500 industries, NAICS and SIC codes and titles, synonyms) with character n-gram TF-IDF and
a nearest neighbour, so typos and spacing cost little.
:func:`assign_verticals` applies it to one column, folds verticals too small to plan around into
"Other" and says what it did.

Only the distinct labels are classified, then mapped back, so a million rows with a few hundred
distinct labels costs the same as a few hundred rows.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.neighbors import NearestNeighbors
from sklearn.utils.validation import check_is_fitted

from segmentation.errors import InputError

OTHER = "Other"
ALL_ACCOUNTS = "All accounts"
TAXONOMY_PATH = Path(__file__).with_name("taxonomy.toml")
_LABEL_KINDS = (
    "salesforce",
    "hubspot",
    "linkedin",
    "fortune",
    "naics_descriptions",
    "sic_descriptions",
    "synonyms",
)


@lru_cache(maxsize=1)
def load_taxonomy() -> tuple[dict, ...]:
    """Read the vertical taxonomy.

    Returns
    -------
    tuple of dict
        One dict per vertical with keys ``name``, ``description``, ``salesforce``, ``hubspot``,
        ``linkedin``, ``fortune``, ``naics``, ``naics_descriptions``, ``sic``,
        ``sic_descriptions`` and ``synonyms`` (lists, empty when the file has none), in the
        file's order.
    """
    with TAXONOMY_PATH.open("rb") as fh:
        data = tomllib.load(fh)
    lists = ("naics", "sic", *_LABEL_KINDS)
    return tuple({**{k: [] for k in lists}, **v} for v in data["vertical"])


def vertical_names() -> list[str]:
    """Names of the taxonomy's verticals, in the file's order (without "Other")."""
    return [v["name"] for v in load_taxonomy()]


def normalize_label(label: str) -> str:
    """Reduce a raw industry label to the form the classifier compares.

    Lower case, "&" read as "and", punctuation and repeated spaces collapsed, so
    "Hospital & Health-Care " and "hospital and health care" are the same string.

    Parameters
    ----------
    label : str
        Raw label.

    Returns
    -------
    str
    """
    text = str(label).lower().replace("&", " and ")
    text = re.sub(r"[^a-z0-9]+", " ", text)
    return re.sub(r"\s+", " ", text).strip()


# Placeholders CRMs use for "no value": never evidence for a vertical.
_NULL_LABELS = frozenset(
    {
        "other",
        "others",
        "unknown",
        "none",
        "n a",
        "na",
        "null",
        "nan",
        "not specified",
        "unspecified",
        "not applicable",
        "misc",
        "miscellaneous",
        "tbd",
        "select",
        "select one",
        "0",
    }
)
# difflib is O(known labels) per label: only worth it for a bounded number of short leftovers.
_FUZZY_MAX_LABELS = 5000
_FUZZY_MAX_LENGTH = 24

_CODE = re.compile(r"^(?:(naics|sic)\s*)?(?:code\s*)?(\d{2,6})\b\s*(.*)$")


@lru_cache(maxsize=2)
def _code_prefixes(system: str) -> tuple[tuple[str, str], ...]:
    # Longest prefix first, so "5415" (Technology) wins over "54" (Professional Services).
    pairs = [(code, v["name"]) for v in load_taxonomy() for code in v[system]]
    return tuple(sorted(pairs, key=lambda p: -len(p[0])))


def _code_vertical(norm: str, exact=None) -> str | None:
    """Vertical of a NAICS or SIC code label ("NAICS 62", "SIC 7372", "541511").

    A bare number is read as NAICS; "sic" before it switches to SIC. A bare number followed by
    a known title ("7372 prepackaged software") trusts the title, since the number could be
    either system.
    """
    match = _CODE.match(norm)
    if match is None:
        return None
    system, digits, rest = match.groups()
    if system is None and rest and exact is not None:
        named = exact(rest)
        if named is not None:
            return named
    for prefix, name in _code_prefixes("sic" if system == "sic" else "naics"):
        if digits.startswith(prefix):
            return name
    return None


def _loose(norm: str) -> str:
    # HubSpot's internal values drop the "and" of their labels (HOSPITAL_HEALTH_CARE).
    return " ".join(word for word in norm.split() if word != "and")


# Fortune and SIC titles qualify a head word: "Insurance: Life, Health (Mutual)",
# "Specialty Retailers: Other", "Telephone Communications (No Radiotelephone)".
_QUALIFIED = re.compile(r"^([^:(]+)[:(]")


class VerticalClassifier(BaseEstimator):
    """Nearest-known-label classifier from raw industry labels to taxonomy verticals.

    Parameters
    ----------
    min_confidence : float, default 0.5
        Cosine similarity (0..1) to the nearest known label below which a label is "Other".
    ngram_range : tuple of int, default (2, 4)
        Character n-gram sizes (within word boundaries) of the TF-IDF vectoriser.

    Attributes
    ----------
    vectorizer_ : TfidfVectorizer
    neighbors_ : NearestNeighbors
    known_labels_ : ndarray of str
        Normalised known labels the model matches against.
    known_verticals_ : ndarray of str
        Vertical of each known label.
    exact_ : dict
        Normalised known label -> vertical, for exact matches (confidence 1).
    loose_ : dict
        The same with the word "and" dropped (HubSpot's internal values), also confidence 1.
    verticals_ : list of str
        The verticals this classifier can return, besides "Other".
    """

    def __init__(self, min_confidence: float = 0.5, ngram_range: tuple[int, int] = (2, 4)):
        self.min_confidence = min_confidence
        self.ngram_range = ngram_range

    def fit(self, labels=None) -> VerticalClassifier:
        """Fit on the taxonomy's known labels, plus any extra labelled examples.

        Parameters
        ----------
        labels : dict or pandas.Series, optional
            Extra known labels mapped to a vertical (``{"widgets": "Manufacturing"}``), e.g. a
            team's own picklist values. They take precedence over the taxonomy on exact matches.

        Returns
        -------
        self
        """
        if not 0.0 <= float(self.min_confidence) <= 1.0:
            raise InputError(
                f"min_confidence must be between 0 and 1, got {self.min_confidence!r}."
            )
        pairs: list[tuple[str, str]] = []
        for vertical in load_taxonomy():
            name = vertical["name"]
            pairs.append((name, name))
            for kind in _LABEL_KINDS:
                pairs.extend((label, name) for label in vertical[kind])
        extra = dict(labels.items()) if labels is not None else {}
        pairs.extend((str(k), str(v)) for k, v in extra.items())

        exact: dict[str, str] = {}
        for label, name in pairs:
            norm = normalize_label(label)
            if norm:
                # Later (user) entries override the taxonomy on the same normalised label.
                exact[norm] = name
        self.exact_ = exact
        self.loose_ = {_loose(norm): name for norm, name in exact.items()}
        self.known_labels_ = np.array(list(exact.keys()), dtype=object)
        self.known_verticals_ = np.array(list(exact.values()), dtype=object)
        self.verticals_ = list(
            dict.fromkeys([v["name"] for v in load_taxonomy()] + list(extra.values()))
        )
        self.vectorizer_ = TfidfVectorizer(
            analyzer="char_wb", ngram_range=tuple(self.ngram_range), sublinear_tf=True
        )
        known = self.vectorizer_.fit_transform(self.known_labels_)
        self.neighbors_ = NearestNeighbors(n_neighbors=1, metric="cosine", algorithm="brute")
        self.neighbors_.fit(known)
        return self

    def _exact(self, norm: str) -> str | None:
        """Vertical of a normalised label known as it is, or with "and" dropped."""
        if not norm:
            return None
        found = self.exact_.get(norm)
        return found if found is not None else self.loose_.get(_loose(norm))

    def _match(self, labels: pd.Series) -> tuple[np.ndarray, np.ndarray]:
        """Vertical (before the confidence cut) and confidence for each *distinct* label."""
        check_is_fitted(self, "neighbors_")
        values = pd.Series(labels, dtype=object)
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        norms = np.array([normalize_label(u) for u in uniques], dtype=object)
        verts = np.full(len(uniques), OTHER, dtype=object)
        conf = np.zeros(len(uniques), dtype=float)
        todo = []
        for i, norm in enumerate(norms):
            if not norm or norm in _NULL_LABELS:
                continue
            known = self._exact(norm)
            if known is None:
                known = _code_vertical(norm, self._exact)
            if known is None:
                # A qualified title whose head is known: "Insurance: Life, Health (Mutual)".
                head = _QUALIFIED.match(str(uniques[i]))
                known = self._exact(normalize_label(head.group(1))) if head else None
            if known is not None:
                verts[i], conf[i] = known, 1.0
                continue
            todo.append(i)
        if todo:
            matrix = self.vectorizer_.transform(norms[todo])
            dist, idx = self.neighbors_.kneighbors(matrix)
            sim = np.clip(1.0 - dist[:, 0], 0.0, 1.0)
            # A label with no n-gram in common has an all-zero vector: no evidence at all.
            sim[np.asarray(matrix.sum(axis=1)).ravel() == 0] = 0.0
            verts[todo] = self.known_verticals_[idx[:, 0]]
            conf[todo] = sim
            # Transposed letters in short words ("Retial") share few n-grams with the right
            # label; a sequence ratio catches them.
            weak = [
                i
                for i, s in zip(todo, sim)
                if s < self.min_confidence and len(norms[i]) <= _FUZZY_MAX_LENGTH
            ]
            if len(weak) <= _FUZZY_MAX_LABELS:
                for i in weak:
                    close = difflib.get_close_matches(norms[i], self.known_labels_, n=1, cutoff=0.8)
                    if close:
                        ratio = difflib.SequenceMatcher(None, norms[i], close[0]).ratio()
                        if ratio > conf[i]:
                            verts[i], conf[i] = self.exact_[close[0]], ratio
        # Map distinct labels back to rows; missing labels get "Other" with confidence 0.
        verts_rows = np.where(
            codes >= 0, verts[np.maximum(codes, 0)] if len(verts) else OTHER, OTHER
        )
        conf_rows = np.where(codes >= 0, conf[np.maximum(codes, 0)] if len(conf) else 0.0, 0.0)
        return verts_rows, conf_rows

    def predict(self, labels: pd.Series) -> pd.Series:
        """Canonical vertical per label, or "Other" when no known label is close enough.

        Parameters
        ----------
        labels : pandas.Series
            Raw industry labels; missing values map to "Other".

        Returns
        -------
        pandas.Series of str, same index as ``labels``.
        """
        verts, conf = self._match(labels)
        verts = np.where(conf >= self.min_confidence, verts, OTHER)
        return pd.Series(verts, index=_index_of(labels), dtype="str", name="vertical")

    def predict_confidence(self, labels: pd.Series) -> pd.Series:
        """Similarity (0..1) between each label and its nearest known label.

        1.0 means an exact known label (after normalisation, also with "and" dropped or without
        a qualifier after ":" or "("), or a NAICS/SIC code; missing
        labels get 0.0.

        Parameters
        ----------
        labels : pandas.Series

        Returns
        -------
        pandas.Series of float, same index as ``labels``.
        """
        _, conf = self._match(labels)
        return pd.Series(conf, index=_index_of(labels), dtype="float64", name="confidence")


def _index_of(labels) -> pd.Index:
    return labels.index if isinstance(labels, pd.Series) else pd.RangeIndex(len(labels))


@dataclass
class VerticalResult:
    """Verticals per account and the summary the app shows.

    Attributes
    ----------
    labels : pandas.Series
        Vertical name per account ("Other" for unmatched or folded labels; "All accounts" when
        there is no industry data at all).
    confidence : pandas.Series
        Match confidence per account (0..1).
    table : pandas.DataFrame
        One row per vertical: ``vertical``, ``accounts``, ``share``, ``confidence`` (mean) and
        ``top_labels`` (the most common raw labels, as text).
    warnings : list of str
        What a user should know: no industry column, labels that matched nothing, folded verticals.
    """

    labels: pd.Series
    confidence: pd.Series
    table: pd.DataFrame
    warnings: list[str] = field(default_factory=list)


@lru_cache(maxsize=4)
def _default_classifier(min_confidence: float) -> VerticalClassifier:
    # Fitting takes ~50 ms; the app calls assign_verticals on every rerun.
    return VerticalClassifier(min_confidence=min_confidence).fit()


def _top_labels(raw: pd.Series, verticals: pd.Series, n: int = 3) -> dict[str, str]:
    counts = (
        pd.DataFrame({"vertical": verticals.to_numpy(), "raw": raw.astype("str").to_numpy()})
        .loc[raw.notna().to_numpy()]
        .value_counts(["vertical", "raw"], sort=True)
    )
    out: dict[str, str] = {}
    for vertical, group in counts.groupby(level="vertical", sort=False):
        top = group.head(n)
        out[vertical] = ", ".join(
            f"{raw_label} ({count:,})" for (_, raw_label), count in top.items()
        )
    return out


def assign_verticals(
    industry: pd.Series | None,
    *,
    min_accounts: int = 20,
    min_share: float = 0.02,
    renames: dict[str, str] | None = None,
    merges: dict[str, str] | None = None,
    classifier: VerticalClassifier | None = None,
    index: pd.Index | None = None,
) -> VerticalResult:
    """Assign each account a vertical from its raw industry label.

    Parameters
    ----------
    industry : pandas.Series or None
        Raw industry labels, one per account. ``None`` or an all-missing column means there is no
        industry data: every account is in one vertical, "All accounts".
    min_accounts : int, default 20
        A vertical with fewer accounts is folded into "Other".
    min_share : float, default 0.02
        A vertical with a smaller share of accounts is folded into "Other".
    renames : dict, optional
        ``{vertical: new name}``, applied last (display names).
    merges : dict, optional
        ``{from: to}``. ``from`` is a vertical name, or a raw industry label (matched after
        normalisation) to override the classifier for that label; ``to`` is any vertical name.
        Merged verticals are never folded for being small on their own.
    classifier : VerticalClassifier, optional
        A fitted (or unfitted) classifier; default: the taxonomy with ``min_confidence=0.5``.
    index : pandas.Index, optional
        Account index to use when ``industry`` is None (otherwise the result is empty).

    Returns
    -------
    VerticalResult
    """
    if min_accounts < 0 or not 0.0 <= min_share <= 1.0:
        raise InputError("min_accounts must be ≥ 0 and min_share between 0 and 1.")
    renames = dict(renames or {})
    merges = dict(merges or {})

    if industry is None or industry.notna().sum() == 0:
        return _one_vertical(industry, index, renames)

    if classifier is None:
        classifier = _default_classifier(0.5)
    elif not hasattr(classifier, "neighbors_"):
        classifier = classifier.fit()

    verts, conf = classifier._match(industry)
    verts = np.where(conf >= classifier.min_confidence, verts, OTHER).astype(object)
    warnings = _unmatched_warnings(industry, verts)
    protected = _apply_merges(industry, verts, conf, merges) if merges else set()

    labels = pd.Series(verts, index=industry.index, dtype="str", name="vertical")
    labels = _fold_small(labels, protected, min_accounts, min_share, warnings)
    if renames:
        labels = labels.replace(renames)

    confidence = pd.Series(conf, index=industry.index, dtype="float64", name="confidence")
    table = _vertical_table(industry, labels, confidence)
    other_name = renames.get(OTHER, OTHER)
    table["_other"] = table["vertical"] == other_name
    table = (
        table.sort_values(
            ["_other", "accounts", "vertical"], ascending=[True, False, True], kind="stable"
        )
        .drop(columns="_other")
        .reset_index(drop=True)[["vertical", "accounts", "share", "confidence", "top_labels"]]
    )
    table["accounts"] = table["accounts"].astype("int64")
    if table["vertical"].ne(other_name).sum() == 0:
        warnings.append("No vertical is large enough to plan around: every account is in Other.")
    return VerticalResult(labels, confidence, table, warnings)


def _one_vertical(
    industry: pd.Series | None, index: pd.Index | None, renames: dict[str, str]
) -> VerticalResult:
    """Without industry data, every account is in one vertical, "All accounts"."""
    idx = (
        industry.index
        if industry is not None
        else (index if index is not None else pd.RangeIndex(0))
    )
    name = renames.get(ALL_ACCOUNTS, ALL_ACCOUNTS)
    labels = pd.Series(name, index=idx, dtype="str", name="vertical")
    confidence = pd.Series(1.0, index=idx, dtype="float64", name="confidence")
    table = pd.DataFrame(
        {
            "vertical": [name],
            "accounts": [len(idx)],
            "share": [1.0 if len(idx) else 0.0],
            "confidence": [1.0],
            "top_labels": [""],
        }
    )
    what = "No industry column" if industry is None else "The industry column is empty"
    return VerticalResult(labels, confidence, table, [f"{what}: all accounts are one vertical."])


def _unmatched_warnings(industry: pd.Series, verts: np.ndarray) -> list[str]:
    """Say which accounts went to Other: labels matching no vertical, 'Other'-like, blank."""
    warnings: list[str] = []
    unmatched = industry.notna().to_numpy() & (verts == OTHER)
    # "Other" or "Unknown" in the CRM is no failure to match: say those apart, in one sentence.
    # Judged once per distinct label, not per account (100k accounts carry a few hundred labels).
    codes, uniques = pd.factorize(industry, use_na_sentinel=True)
    is_null_label = np.array([normalize_label(u) in _NULL_LABELS for u in uniques] + [False])
    said_other = unmatched & is_null_label[codes]
    unmatched &= ~said_other
    if unmatched.any():
        bad = industry[unmatched].astype("str").value_counts()
        sample = ", ".join(f"'{label}'" for label in bad.index[:5])
        more = f" and {len(bad) - 5} more" if len(bad) > 5 else ""
        labels = "label" if len(bad) == 1 else "labels"
        warnings.append(
            f"{int(unmatched.sum()):,} accounts ({len(bad):,} industry {labels}) matched no "
            f"vertical and went to Other: {sample}{more}. Merge a label into a vertical to move them."
        )
    if said_other.any():
        warnings.append(
            f"{int(said_other.sum()):,} accounts have an industry such as 'Other' or 'Unknown' "
            "and are in Other."
        )
    missing = int(industry.isna().sum())
    if missing:
        warnings.append(f"{missing:,} accounts have no industry and are in Other.")
    return warnings


def _apply_merges(
    industry: pd.Series, verts: np.ndarray, conf: np.ndarray, merges: dict[str, str]
) -> set[str]:
    """Apply the user's merges in place (raw labels, then verticals); return the merged-into."""
    norm_merges = {normalize_label(k): v for k, v in merges.items()}
    uniques = pd.Series(industry.dropna().unique())
    by_label = {
        u: norm_merges[normalize_label(u)] for u in uniques if normalize_label(u) in norm_merges
    }
    if by_label:
        override = industry.map(by_label).to_numpy(dtype=object, na_value=None)
        hit = pd.notna(override)
        verts[hit] = override[hit]
        conf[hit] = 1.0
    for source, target in merges.items():
        verts[verts == source] = target
    return set(merges.values())


def _fold_small(
    labels: pd.Series,
    protected: set[str],
    min_accounts: int,
    min_share: float,
    warnings: list[str],
) -> pd.Series:
    """Fold verticals too small to plan around into Other (merged-into ones are kept)."""
    n = len(labels)
    counts = labels.value_counts()
    small = [
        v
        for v, c in counts.items()
        if v != OTHER and v not in protected and (c < min_accounts or c / n < min_share)
    ]
    if not small:
        return labels
    warnings.append(
        f"{len(small)} vertical{'s' if len(small) > 1 else ''} under {min_accounts} accounts or "
        f"{min_share:.0%} of accounts folded into Other: {', '.join(sorted(small))}. "
        "Lower the minimum vertical size to keep them."
    )
    return labels.where(~labels.isin(small), OTHER)


def _vertical_table(industry: pd.Series, labels: pd.Series, confidence: pd.Series) -> pd.DataFrame:
    """Per vertical: accounts, share, mean confidence and its most common industry labels."""
    grouped = pd.DataFrame({"vertical": labels, "confidence": confidence}).groupby(
        "vertical", sort=False
    )
    table = grouped.agg(
        accounts=("confidence", "size"), confidence=("confidence", "mean")
    ).reset_index()
    table["share"] = table["accounts"] / max(len(labels), 1)
    top = _top_labels(industry, labels)
    table["top_labels"] = table["vertical"].map(top).fillna("")
    return table
