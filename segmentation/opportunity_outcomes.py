"""Deal outcomes: which deals are won, lost or open, from the stage or the won/closed flags.

Won and lost words of Salesforce, HubSpot, Dynamics 365 (and its state codes), Pipedrive,
Zoho and public samples, in English, German, French, Spanish, Portuguese, Italian and Dutch;
Salesforce's IsWon / IsClosed checkboxes where the export has them.
"""

from __future__ import annotations

import re

import pandas as pd

from segmentation.schema import normalise_header

# Won and lost words of each CRM (not "booked": HubSpot-style pipelines open with "Meeting
# booked"): Salesforce "Closed Won", HubSpot labels and internal names
# ("closedwon"), Dynamics status "Won"/"Lost" and status reasons ("Out-Sold", "Canceled"),
# Pipedrive status "won"/"lost", Zoho "Closed-Lost to Competition", Maven "Won"/"Lost", and the
# same words in German, French, Spanish, Portuguese, Italian and Dutch exports.
_NOT_WON = r"\bnot ?won\b|\bno ?win\b"
_WON = re.compile(
    r"(?<![a-z])(?:closed[ _-]?)?won\b|\bsigned\b|\bgagn[ée]e?\b|"
    r"\bganad[oa]\b|\bganh[oa]\b|\bvint[oa]\b|\bgewonnen\b",
    re.IGNORECASE,
)
_LOST = re.compile(
    r"(?<![a-z])(?:closed[ _-]?)?lost\b|disqualified|\bdead\b|cancel|out[ -]?sold|"
    r"\bverloren\b|\bperdu[e]?\b|\bperdid[oa]\b|\bpers[oa]\b|\bgescheitert\b|" + _NOT_WON,
    re.IGNORECASE,
)
# Dynamics 365 opportunity state codes, as the Web API and Dataverse exports give them.
_STATECODE = {"0": "open", "1": "won", "2": "lost"}
_TRUE = {"true", "1", "1.0", "yes", "y", "x", "wahr", "ja", "oui", "si", "sí"}
_FALSE = {"false", "0", "0.0", "no", "n", "falsch", "nein", "non"}


def says_outcome(values: pd.Series) -> bool:
    """Whether any value of a column reads as won or lost (a stage column that says outcomes)."""
    text = values.dropna().astype("str")
    if text.empty:
        return False
    distinct = pd.Series(text.unique(), dtype="str")
    return bool(distinct.str.contains(_WON).any() or distinct.str.contains(_LOST).any())


def deal_outcomes(
    deals: pd.DataFrame, mapping: dict, overrides: dict[str, str]
) -> tuple[pd.Series, pd.Series, list[str]]:
    """Won and lost per deal (open is neither), with warnings when the outcome cannot be read.

    Salesforce's IsWon / IsClosed checkboxes win over the stage, except when the user chose
    the stage column and not the flags.
    """
    notes: list[str] = []
    nothing = pd.Series(False, index=deals.index)
    stage_won = stage_lost = None
    if "stage" in mapping:
        stage_won, stage_lost = _stage_outcomes(deals[mapping["stage"]], mapping["stage"])
    stage_chosen = overrides.get("stage") is not None and "is_won" not in overrides
    use_flags = "is_won" in mapping and not stage_chosen
    if use_flags:
        won_flag, share = _flags(deals[mapping["is_won"]])
        if share < 0.9:
            notes.append(
                f"The won flag column {mapping['is_won']!r} holds values other than yes/no "
                f"(only {share:.0%} read); "
                + (
                    "the stage says which deals are won."
                    if stage_won is not None
                    else "no deal counts as won."
                )
            )
            use_flags = False
    if use_flags:
        won = won_flag.fillna(False).astype(bool)
        if "is_closed" in mapping:
            closed_flag, _ = _flags(deals[mapping["is_closed"]])
            lost = closed_flag.fillna(False).astype(bool) & ~won
        elif stage_lost is not None:
            lost = stage_lost & ~won
        else:
            lost = nothing.copy()
            notes.append(
                f"Deals are won by {mapping['is_won']!r} but nothing says which are lost: win "
                "rates count only won deals as closed. Add the IsClosed or stage column."
            )
        return won, lost, notes
    if stage_won is None:
        notes.append(
            "The opportunities file has no stage or won/lost column: every deal counts as open, "
            "so won revenue and win rates are unknown. Name the column with --opp-map stage=COLUMN."
        )
        return nothing.copy(), nothing.copy(), notes
    if not (stage_won.any() or stage_lost.any()):
        shown = ", ".join(map(repr, deals[mapping["stage"]].dropna().astype("str").unique()[:5]))
        notes.append(
            f"No deal's {mapping['stage']!r} reads as won or lost (values such as {shown}): every "
            "deal counts as open, so won revenue and win rates are unknown. Name the won/lost "
            "column with --opp-map stage=COLUMN."
        )
    return stage_won, stage_lost, notes


def _stage_outcomes(values: pd.Series, column: str) -> tuple[pd.Series, pd.Series]:
    text = values.astype("str").str.strip()
    codes = set(text.dropna().unique()) - {""}
    if normalise_header(column).endswith("statecode") and codes and codes <= set(_STATECODE):
        state = text.map(_STATECODE)
        won = (state == "won").fillna(False).astype(bool)
        return won, (state == "lost").fillna(False).astype(bool)
    # Each distinct stage once: an export has a handful of stages and up to millions of deals.
    distinct = pd.Series(text.dropna().unique(), dtype="str")
    not_won = distinct.str.contains(_NOT_WON, case=False, regex=True)
    won_words = set(distinct[distinct.str.contains(_WON) & ~not_won])
    lost_words = set(distinct[distinct.str.contains(_LOST)]) - won_words
    won = text.isin(won_words).fillna(False).astype(bool)
    lost = text.isin(lost_words).fillna(False).astype(bool)
    return won, lost


def _flags(values: pd.Series) -> tuple[pd.Series, float]:
    """A yes/no column as booleans (NA where unreadable) and the share of cells read."""
    text = values.astype("str").str.strip().str.lower()
    flag = pd.Series(pd.NA, index=values.index, dtype="boolean")
    flag = flag.mask(text.isin(_TRUE).fillna(False), True)
    flag = flag.mask(text.isin(_FALSE).fillna(False), False)
    filled = text.notna() & (text != "")
    share = float(flag[filled].notna().mean()) if filled.any() else 0.0
    return flag, share
