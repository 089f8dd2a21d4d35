"""Account status: the status words of CRMs and languages read as one of the five statuses.

A status column's values (Salesforce account types, HubSpot lifecycle stages, Dynamics
relationship types, German, French, Spanish, Portuguese, Italian and Dutch words) become one
of :data:`segmentation.fields.STATUSES`, the user's ``--status`` words over ours; without a
status column, the opportunities' won deals say which accounts are customers.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from segmentation.errors import InputError
from segmentation.fields import STATUSES

if TYPE_CHECKING:
    from segmentation.accounts import ChangeLog, PreparedAccounts

_STATUS_MAP: dict[str, str] = {
    # Salesforce account Type picklist
    "customerdirect": "customer",
    "customerchannel": "customer",
    "customer": "customer",
    "prospect": "prospect",
    "formercustomer": "former",
    "channelpartnerreseller": "partner",
    "installationpartner": "partner",
    "technologypartner": "partner",
    "partner": "partner",
    "reseller": "partner",
    "other": "other",
    # HubSpot lifecycle stages (internal and display values)
    "subscriber": "prospect",
    "lead": "prospect",
    "marketingqualifiedlead": "prospect",
    "salesqualifiedlead": "prospect",
    "opportunity": "prospect",
    "evangelist": "customer",
    # Dynamics 365 relationship types
    "competitor": "other",
    "consultant": "partner",
    "investor": "other",
    "press": "other",
    "supplier": "other",
    "vendor": "other",
    "influencer": "other",
    # Zoho / spreadsheets
    "analyst": "other",
    "integrator": "partner",
    "client": "customer",
    "active": "customer",
    "activecustomer": "customer",
    "churned": "former",
    "lost": "former",
    "inactive": "former",
    "excustomer": "former",
    "pastcustomer": "former",
    "distributor": "partner",
    # German
    "kunde": "customer",
    "bestandskunde": "customer",
    "neukunde": "customer",
    "stammkunde": "customer",
    "aktiverkunde": "customer",
    "interessent": "prospect",
    "potenziellerkunde": "prospect",
    "potentiellerkunde": "prospect",
    "ehemaligerkunde": "former",
    "exkunde": "former",
    "verlorenerkunde": "former",
    "inaktiv": "former",
    "gekündigt": "former",
    "vertriebspartner": "partner",
    "händler": "partner",
    "wiederverkäufer": "partner",
    "wettbewerber": "other",
    "lieferant": "other",
    "sonstige": "other",
    # French
    "clientactif": "customer",
    "ancienclient": "former",
    "exclient": "former",
    "clientinactif": "former",
    "partenaire": "partner",
    "revendeur": "partner",
    "distributeur": "partner",
    "concurrent": "other",
    "fournisseur": "other",
    "autre": "other",
    # Spanish, Portuguese, Italian
    "cliente": "customer",
    "clienteactivo": "customer",
    "clienteativo": "customer",
    "prospecto": "prospect",
    "clientepotencial": "prospect",
    "potencialcliente": "prospect",
    "potenzialecliente": "prospect",
    "excliente": "former",
    "antiguocliente": "former",
    "antigocliente": "former",
    "clienteinactivo": "former",
    "socio": "partner",
    "parceiro": "partner",
    "distribuidor": "partner",
    "revendedor": "partner",
    "rivenditore": "partner",
    "distributore": "partner",
    "competidor": "other",
    "concorrente": "other",
    "proveedor": "other",
    "fornecedor": "other",
    "fornitore": "other",
    "otro": "other",
    "outro": "other",
    "altro": "other",
    # Dutch
    "klant": "customer",
    "bestaandeklant": "customer",
    "exklant": "former",
    "oudklant": "former",
    "voormaligeklant": "former",
    "wederverkoper": "partner",
    "leverancier": "other",
    "overig": "other",
}
"""Status words (casefolded, letters and digits only) → normalised status."""

_STATUS_VALUES_SHOWN = 100


def read_status(
    t: pd.Series | None,
    column: str | None,
    log: ChangeLog,
    index: pd.Index,
    user: dict[str, str] | None = None,
) -> tuple[pd.Series, dict]:
    """Read a status column (cleaned text, or None without one) as normalised statuses.

    Parameters
    ----------
    t : pandas.Series or None
        The status column's cleaned text; None when no column is mapped to status.
    column : str or None
        The column's header, for the messages.
    log : ChangeLog
        Where unrecognised values are counted and warned about.
    index : pandas.Index
        The accounts' index (for the all-NA result without a column).
    user : dict, optional
        Status value as written → status (``--status``), over the built-in words.

    Returns
    -------
    tuple of (pandas.Series, dict)
        One of :data:`segmentation.fields.STATUSES` per row (unrecognised values: ``other``,
        counted), and ``column``, ``source`` and the distinct ``values`` with their status.

    Raises
    ------
    InputError
        A ``--status`` word names a status that does not exist or a value the column does not
        hold, or there is no status column to apply it to.
    """
    user = dict(user or {})
    bad = [v for v in user.values() if v not in STATUSES]
    if bad:
        raise InputError(
            f"--status takes VALUE=STATUS with STATUS one of {', '.join(STATUSES)}; got {bad[0]!r}."
        )
    if t is None:
        if user:
            raise InputError(
                f"--status {next(iter(user))}=...: the file has no status column; map one with "
                "--map status=COLUMN."
            )
        return pd.Series(pd.NA, index=index, dtype="str"), {
            "column": None,
            "source": None,
            "values": [],
        }
    # a status column holds a handful of labels: work on the distinct ones, then take back
    codes, uniques = pd.factorize(t)
    u = pd.Series(uniques, dtype="str")
    mapped_u = _known_words(u)
    by_user = pd.Series(False, index=u.index)
    if user:
        mapped_u, by_user = _user_words(u, mapped_u, user, column)
    unknown_u = mapped_u.isna().to_numpy(dtype=bool)
    final_u = mapped_u.mask(unknown_u, "other").astype("str")
    unknown = (
        (codes >= 0) & unknown_u[np.maximum(codes, 0)] if len(u) else np.zeros(len(t), dtype=bool)
    )
    n = log.add("status", column, "unrecognised status mapped to 'other'", unknown, t)
    if n:
        examples = ", ".join(repr(x) for x in t[unknown].drop_duplicates().head(3))
        log.warn(
            f"{n} {column} values were not a known status (e.g. {examples}) and count as 'other'; "
            "place them with --status VALUE=customer|prospect|former|partner."
        )
    info = _status_info(u, codes, final_u, by_user, unknown_u, column)
    return pd.Series(final_u.array.take(codes, allow_fill=True), index=t.index, dtype="str"), info


def _known_words(u: pd.Series) -> pd.Series:
    """The status our words give each distinct value (NA where none does)."""
    key = u.str.casefold().str.replace(r"[\W_]+", "", regex=True)
    mapped_u = key.map(_STATUS_MAP)
    # Pipedrive/Zoho labels such as "Hot lead", "Cold lead" are prospects
    mapped_u = mapped_u.mask(mapped_u.isna() & key.str.endswith("lead", na=False), "prospect")
    return mapped_u.where(~key.isin(STATUSES) | mapped_u.notna(), key)


def _user_words(
    u: pd.Series, mapped_u: pd.Series, user: dict[str, str], column: str | None
) -> tuple[pd.Series, pd.Series]:
    """The user's ``--status`` words over ours, and which distinct values they set."""
    # the user's words win over ours, matched as written but for case and outer spaces
    wanted = {str(k).strip().casefold(): v for k, v in user.items()}
    folded = u.str.strip().str.casefold()
    missing = [k for k, folded_k in zip(user, wanted) if folded_k not in set(folded)]
    if missing:
        shown = ", ".join(repr(x) for x in u.head(12))
        raise InputError(
            f"--status {missing[0]}=...: the status column {column!r} has no such value. "
            f"Its values: {shown}."
        )
    by_user = folded.isin(list(wanted))
    return mapped_u.mask(by_user, folded.map(wanted)), by_user


def _status_info(u, codes, final_u, by_user, unknown_u, column) -> dict:
    """How the status column was read: its most frequent values, each with its status and why."""
    counts = np.bincount(codes[codes >= 0], minlength=len(u)) if len(u) else np.zeros(0, int)
    how = np.where(
        by_user.to_numpy(), "set by you", np.where(unknown_u, "not recognised", "known word")
    )
    order = np.argsort(-counts, kind="stable")[:_STATUS_VALUES_SHOWN]
    values = [
        {
            "value": str(u.iloc[i]),
            "count": int(counts[i]),
            "status": str(final_u.iloc[i]),
            "how": str(how[i]),
        }
        for i in order
    ]
    info = {"column": column, "source": "column", "values": values}
    if len(u) > _STATUS_VALUES_SHOWN:
        info["values_not_shown"] = int(len(u) - _STATUS_VALUES_SHOWN)
    return info


def status_from_deals(prepared: PreparedAccounts, won_deals: pd.Series) -> PreparedAccounts:
    """Read status from the opportunities where the accounts export does not give it.

    Parameters
    ----------
    prepared : PreparedAccounts
        The cleaned accounts.
    won_deals : pandas.Series
        Won deals per account, on the accounts' index (the ``won_deals`` column of
        :attr:`segmentation.opportunities.OpportunityAggregates.per_account`).

    Returns
    -------
    PreparedAccounts
        Without a status column: accounts with a won deal are customers, the others prospects
        (when no account has won a deal, status stays unknown). With one: blank statuses of accounts with a won deal become customers. Either way the
        change is counted, said in a warning, and ``status["source"]`` records it.
    """
    acc = prepared.accounts
    won = won_deals.reindex(acc.index).fillna(0).to_numpy() > 0
    info = dict(prepared.status or {"column": None, "source": None, "values": []})
    if info.get("column") is None:
        n_won = int(won.sum())
        if not n_won:
            # no won deal at all (or none recognised): calling everyone a prospect would be a guess
            note = "No status column, and no account has a won deal: status stays unknown."
            info |= {"source": None, "customers_from_deals": 0}
            return replace(prepared, warnings=[*prepared.warnings, note], status=info)
        status = pd.Series(np.where(won, "customer", "prospect"), index=acc.index, dtype="str")
        change = {
            "field": "status",
            "column": "opportunities",
            "what": "no status column: customer with a won deal, prospect otherwise",
            "count": int(len(acc)),
            "examples": [],
        }
        note = (
            f"No status column: the {n_won:,} accounts with a won deal in the opportunities are "
            f"customers, the other {len(acc) - n_won:,} prospects."
        )
        info |= {"source": "won deals", "customers_from_deals": n_won}
    else:
        fill = acc["status"].isna().to_numpy() & won
        if not fill.any():
            return prepared
        status = acc["status"].mask(fill, "customer")
        k = int(fill.sum())
        change = {
            "field": "status",
            "column": info["column"],
            "what": "blank status, won deal: customer",
            "count": k,
            "examples": [],
        }
        note = (
            f"{k:,} accounts with a blank {info['column']} have a won deal and count as customers."
        )
        info |= {"customers_from_deals": k}
    return replace(
        prepared,
        accounts=acc.assign(status=status),
        changes=[*prepared.changes, change],
        warnings=[*prepared.warnings, note],
        status=info,
    )
