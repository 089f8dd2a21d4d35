"""Where the accounts are: countries, US states and Canadian provinces, for the territory map.

Place names are matched against ``places.csv`` (ISO 3166 codes and common spellings: "USA",
"U.S.", "Deutschland", "CA" as a state when the country is the US); the centroids come from the
Natural Earth 1:110m map that ships in ``static/topojson/`` (the files plotly's geo maps read),
so nothing is fetched at view time. Values that match no place are counted, never guessed.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

PLACES_FILE = Path(__file__).with_name("places.csv")

TOPOJSON_ROUTE = "app/static/topojson/"
"""Where Streamlit serves ``static/topojson/`` (``server.enableStaticServing``), relative to the
page, so a ``server.baseUrlPath`` keeps working. Figure config: ``{"topojsonURL": TOPOJSON_ROUTE}``."""

US, CANADA = "USA", "CAN"
KIND_LABELS = {"country": "Country", "us_state": "US state", "ca_province": "Canadian province"}


@dataclass
class Territories:
    """Accounts, value and reps per place (see :func:`territory_summary`).

    Attributes
    ----------
    countries : pandas.DataFrame
        Per country: ``code, place, lat, lon, accounts, value, reps, rep_equivalents, team,
        team_share, value_per_rep, balance`` (``code`` is ISO 3166 alpha-3, the map's key).
    subdivisions : pandas.DataFrame
        The same per US state (``US-CA``) and Canadian province (``CA-ON``), with ``kind``.
    unplaced : int
        Accounts whose country (and state) matched no known place, or were blank.
    examples : list of str
        Up to five of the unmatched values, most frequent first.
    """

    countries: pd.DataFrame
    subdivisions: pd.DataFrame
    unplaced: int = 0
    examples: list[str] = field(default_factory=list)

    @property
    def warnings(self) -> list[str]:
        """One line saying how many accounts are not on the map, when any are not."""
        if not self.unplaced:
            return []
        shown = ", ".join(f"'{e}'" for e in self.examples)
        return [
            f"{self.unplaced:,} accounts are not on the map: their country is blank or not a "
            f"place we know" + (f" (e.g. {shown})" if shown else "") + "."
        ]


def _key(text: object) -> str:
    # "U.S.A." = "usa", "Côte d'Ivoire" = "cote divoire": case, accents and punctuation ignored.
    folded = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "", folded.casefold())


@lru_cache(maxsize=1)
def places() -> pd.DataFrame:
    """The shipped place table: ``kind, code, name, aliases, lat, lon``."""
    return pd.read_csv(PLACES_FILE, dtype={"aliases": "str"}, keep_default_na=False)


@lru_cache(maxsize=1)
def _lookup() -> dict[str, dict[str, str]]:
    table = places()
    out: dict[str, dict[str, str]] = {kind: {} for kind in KIND_LABELS}
    for row in table.itertuples(index=False):
        names = [row.code, row.name, *[a for a in str(row.aliases).split("|") if a]]
        for name in names:
            out[row.kind].setdefault(_key(name), row.code)
    return out


def locate(country: pd.Series | None, region: pd.Series | None) -> pd.DataFrame:
    """Country (ISO alpha-3) and US state / Canadian province of each account.

    Parameters
    ----------
    country, region : pandas.Series or None
        The accounts' ``country`` and ``region`` (state / province) fields, same index.

    Returns
    -------
    pandas.DataFrame
        ``country`` (alpha-3 or missing) and ``subdivision`` (``US-CA``, ``CA-ON`` or missing).
        A region that is a US state (or Canadian province) places a blank country in the US
        (Canada); a region elsewhere (``England``) is not a subdivision.
    """
    index = (country if country is not None else region).index
    lookup = _lookup()
    n = len(index)

    def codes(values: pd.Series | None) -> tuple[np.ndarray, list[str]]:
        # A million accounts name a few hundred places: match each distinct spelling once.
        if values is None:
            return np.full(n, -1), []
        found, uniques = pd.factorize(values.astype("str"))
        return found, [_key(u) for u in uniques]

    def take(found: np.ndarray, keys: list[str], kind: str, prefix: str = "") -> np.ndarray:
        table = lookup[kind]
        matched = [prefix + table[k] if k in table else None for k in keys]
        return np.array([*matched, None], dtype=object)[found]  # -1 (blank) takes the None

    country_found, country_keys = codes(country)
    region_found, region_keys = codes(region)
    nation = take(country_found, country_keys, "country")
    state = take(region_found, region_keys, "us_state", "US-")
    province = take(region_found, region_keys, "ca_province", "CA-")
    has_state, has_province = pd.notna(state), pd.notna(province)
    blank = country_found < 0  # no country given: a state or province says which
    nation = np.where(blank & has_state, US, np.where(blank & has_province, CANADA, nation))
    sub = np.where(
        (nation == US) & has_state,
        state,
        np.where((nation == CANADA) & has_province, province, None),
    )
    nation = pd.Series(nation, index=index, dtype="str")
    sub = pd.Series(sub, index=index, dtype="str")
    return pd.DataFrame({"country": nation, "subdivision": sub}, index=index)


def territory_summary(book: pd.DataFrame, rep: pd.Series | None = None) -> Territories:
    """Accounts, value and reps per country and per US state / Canadian province.

    Parameters
    ----------
    book : pandas.DataFrame
        One row per account with ``team`` and ``value`` (annual potential), and ``country``
        and / or ``region`` when the file has them.
    rep : pandas.Series, optional
        Each account's rep (same index); without it ``reps`` is 0.

    Returns
    -------
    Territories
        ``reps`` counts the reps with an account there; ``rep_equivalents`` adds up each rep's
        share of their book's value that lies there. ``value_per_rep`` is the place's value over
        its rep equivalents, and ``balance`` that over the value per rep overall: 1.0 is an
        average load, 1.5 half as much again (blank where no rep covers the place).
    """
    country = book["country"] if "country" in book.columns else None
    region = book["region"] if "region" in book.columns else None
    if country is None and region is None:
        empty = _summarise(book.iloc[:0], pd.Series(dtype="str"), rep, "country")
        return Territories(empty, empty.assign(kind=pd.Series(dtype="str")), 0, [])
    where = locate(country, region)
    countries = _summarise(book, where["country"], rep, "country")
    subs = _summarise(book, where["subdivision"], rep, "sub")
    unplaced_mask = where["country"].isna()
    examples: list[str] = []
    if country is not None:
        missed = country[unplaced_mask].dropna().astype("str").str.strip()
        examples = missed[missed != ""].value_counts().head(5).index.tolist()
    return Territories(countries, subs, int(unplaced_mask.sum()), examples)


def _summarise(book, codes: pd.Series, rep, level: str) -> pd.DataFrame:
    columns = ["code", "place", "lat", "lon", "accounts", "value", "reps", "rep_equivalents",
               "team", "team_share", "value_per_rep", "balance"]  # fmt: skip
    known = codes.notna()
    if not known.any():
        out = pd.DataFrame({c: pd.Series(dtype="float64") for c in columns})
        return out.astype({"code": "str", "place": "str", "team": "str"})
    frame = pd.DataFrame(
        {
            "code": codes[known].astype("str"),
            "team": book.loc[known, "team"].astype("str"),
            "value": pd.to_numeric(book.loc[known, "value"], errors="coerce").fillna(0.0),
            "rep": (
                rep[known] if rep is not None else pd.Series(pd.NA, index=codes[known].index)
            ).astype("str"),
        }
    )
    grouped = frame.groupby("code", sort=False)
    out = grouped.agg(accounts=("team", "size"), value=("value", "sum"), reps=("rep", "nunique"))
    # The team holding most of a place's value colours it; its share says how clear that is.
    by_team = frame.groupby(["code", "team"], sort=True)["value"].sum().reset_index()
    by_team = by_team.sort_values(["code", "value", "team"], ascending=[True, False, True])
    lead = by_team.drop_duplicates("code").set_index("code")
    out["team"] = lead["team"]
    out["team_share"] = (lead["value"] / out["value"].where(out["value"] > 0)).fillna(1.0)
    # Reps cover several places: a place gets each rep's share of their book's value (rep
    # equivalents), so "value per rep" is the load of the people who cover it, not a head count.
    book_value = frame.groupby("rep")["value"].transform("sum")
    frame["rep_share"] = (frame["value"] / book_value.where(book_value > 0)).fillna(0.0)
    out["rep_equivalents"] = frame.groupby("code", sort=False)["rep_share"].sum()
    assigned = frame["rep"].notna()
    # Digital (self-serve) accounts have no rep: their value loads nobody.
    covered = frame["value"].where(assigned, 0.0).groupby(frame["code"], sort=False).sum()
    out["value_per_rep"] = covered / out["rep_equivalents"].where(out["rep_equivalents"] > 0)
    total_reps = frame.loc[assigned, "rep"].nunique()
    overall = frame.loc[assigned, "value"].sum() / total_reps if total_reps else np.nan
    out["balance"] = out["value_per_rep"] / overall if overall else np.nan
    out = out.reset_index()
    table = places()
    if level == "country":
        ref = table[table["kind"] == "country"].set_index("code")
        keys = out["code"]
    else:
        kinds = out["code"].str[:2].map({"US": "us_state", "CA": "ca_province"})
        ref = (
            table[table["kind"] != "country"]
            .assign(
                code=lambda t: t["kind"].map({"us_state": "US-", "ca_province": "CA-"}) + t["code"]
            )
            .set_index("code")
        )
        keys = out["code"]
        out["kind"] = kinds.map(KIND_LABELS)
    out["place"] = keys.map(ref["name"])
    out["lat"] = keys.map(ref["lat"])
    out["lon"] = keys.map(ref["lon"])
    out = out.sort_values(["accounts", "code"], ascending=[False, True], ignore_index=True)
    extra = ["kind"] if level != "country" else []
    return out[columns[:2] + extra + columns[2:]]
