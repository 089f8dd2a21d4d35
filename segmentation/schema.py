"""Map a CRM export's columns onto the canonical fields, with evidence for each choice.

Headers are matched first (Salesforce labels and API names, HubSpot, Dynamics 365,
Pipedrive, Zoho, plain spreadsheets), case- and punctuation-insensitively. Columns the
headers leave open are then judged by content (money strings, company-like names,
domains, status words). Every match carries a confidence and a sentence saying why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pandas as pd

from segmentation.column_content import content_agrees, content_candidates, profile_column
from segmentation.errors import InputError
from segmentation.fields import FIELD_NAMES, MONEY_FIELDS
from segmentation.numbers import header_unit


def normalise_header(header: str) -> str:
    """Lower-case a header and drop everything but letters and digits."""
    return re.sub(r"[\W_]+", "", str(header).casefold())


_PREFIXES = ("organization", "organisation", "account", "company", "companies", "accounts")


def strip_prefix(key: str) -> str:
    """Drop an object prefix ("Organization - Name" → "name") used by Pipedrive and others."""
    for p in _PREFIXES:
        if key.startswith(p) and len(key) > len(p) + 1:
            return key[len(p) :]
    return key


# header (normalised) -> (field, confidence, where that header comes from)
_SYNONYM_TABLE: dict[str, dict[str, tuple[float, str]]] = {
    "account_id": {
        "id": (0.9, "the Salesforce Id field"),
        "accountid": (0.95, "an account ID header"),
        "recordid": (0.95, "the HubSpot/Zoho record ID"),
        "donotmodifyaccount": (0.95, "the Dynamics 365 hidden account key"),
        "companyid": (0.9, "a company ID header"),
        "customerid": (0.9, "a customer ID header"),
        "customerno": (0.85, "a customer number header"),
        "customernumber": (0.85, "a customer number header"),
        "organizationid": (0.9, "the Pipedrive organization ID"),
        "accountnumber": (0.7, "the account number field"),
        "clientid": (0.85, "a client ID header"),
        "accountidcasesafe": (0.9, "the Salesforce 18-character ID"),
        "accountid18": (0.9, "the Salesforce 18-character ID"),
    },
    "account_name": {
        "name": (0.85, "the Salesforce Name field"),
        "accountname": (0.95, "a Salesforce/Dynamics/Zoho account name label"),
        "companyname": (0.95, "the HubSpot company name"),
        "company": (0.9, "a company column"),
        "customer": (0.85, "a customer column"),
        "customername": (0.95, "a customer name column"),
        "organization": (0.85, "an organization column"),
        "organisation": (0.85, "an organisation column"),
        "organizationname": (0.95, "the Pipedrive organization name"),
        "organisationname": (0.95, "an organisation name column"),
        "client": (0.85, "a client column"),
        "clientname": (0.95, "a client name column"),
        "account": (0.8, "an account column"),
        "businessname": (0.9, "a business name column"),
        "resellername": (0.85, "a reseller name column"),
        "legalname": (0.85, "a legal name column"),
        # German, French, Spanish, Dutch exports
        "firma": (0.85, "a German company column (Firma)"),
        "firmenname": (0.95, "a German company name column (Firmenname)"),
        "unternehmen": (0.85, "a German company column (Unternehmen)"),
        "kundenname": (0.95, "a German customer name column (Kundenname)"),
        "nomdelentreprise": (0.95, "a French company name column"),
        "raisonsociale": (0.9, "a French company name column (raison sociale)"),
        "empresa": (0.85, "a Spanish company column (empresa)"),
        "nombredelaempresa": (0.95, "a Spanish company name column"),
        "bedrijfsnaam": (0.95, "a Dutch company name column (bedrijfsnaam)"),
    },
    "industry": {
        "industry": (0.95, "the standard Industry field"),
        "industries": (0.9, "an industry column"),
        "vertical": (0.9, "a vertical column"),
        "sector": (0.9, "a sector column"),
        "industrysector": (0.9, "an industry column"),
        "businesstype": (0.7, "a business type column"),
        "segment": (0.6, "a spreadsheet segment column"),
        "customersegment": (0.6, "a spreadsheet segment column"),
        "sicdescription": (0.8, "an SIC description"),
        "naicsdescription": (0.8, "a NAICS description"),
        "branche": (0.9, "a German/French industry column (Branche)"),
        "secteur": (0.85, "a French sector column"),
        "secteurdactivite": (0.9, "a French sector column"),
        "industrie": (0.85, "an industry column"),
    },
    "employees": {
        "numberofemployees": (0.95, "the Salesforce/HubSpot/Dynamics employee count"),
        "employees": (0.95, "the Zoho/Salesforce report Employees label"),
        "employeecount": (0.95, "an employee count column"),
        "noofemployees": (0.95, "an employee count column"),
        "numemployees": (0.95, "an employee count column"),
        "numberemployees": (0.95, "an employee count column"),
        "headcount": (0.9, "a headcount column"),
        "staff": (0.8, "a staff column"),
        "fte": (0.8, "an FTE column"),
        "ftes": (0.8, "an FTE column"),
        "companysize": (0.8, "a company size column"),
        "employeerange": (0.85, "an employee range column"),
        "employeesrange": (0.85, "an employee range column"),
        "size": (0.6, "a size column"),
        "mitarbeiter": (0.9, "a German employee count (Mitarbeiter)"),
        "anzahlmitarbeiter": (0.95, "a German employee count (Anzahl Mitarbeiter)"),
        "mitarbeiterzahl": (0.95, "a German employee count (Mitarbeiterzahl)"),
        "beschäftigte": (0.9, "a German employee count (Beschäftigte)"),
        "effectif": (0.85, "a French headcount column (effectif)"),
        "empleados": (0.9, "a Spanish employee count (empleados)"),
        "medewerkers": (0.9, "a Dutch employee count (medewerkers)"),
    },
    "annual_revenue": {
        "annualrevenue": (0.95, "the Salesforce/HubSpot/Dynamics/Zoho annual revenue"),
        "revenue": (0.9, "a revenue column"),
        "annualsales": (0.8, "an annual sales column"),
        "sales": (0.7, "a sales column"),
        "turnover": (0.85, "a turnover column"),
        "totalrevenue": (0.85, "a total revenue column"),
        "yearlyrevenue": (0.9, "a yearly revenue column"),
        "annualrevenueconverted": (0.9, "the Salesforce converted annual revenue"),
        "arr": (0.75, "an ARR column"),
        "revenueusd": (0.9, "a revenue column"),
        "revenues": (0.9, "a revenue column (the Fortune lists' Revenues)"),
        "netsales": (0.8, "a net sales column"),
        "totalsales": (0.8, "a total sales column"),
        "annualturnover": (0.85, "an annual turnover column"),
        "umsatz": (0.9, "a German revenue column (Umsatz)"),
        "jahresumsatz": (0.95, "a German annual revenue column (Jahresumsatz)"),
        "umsatzerlöse": (0.9, "a German revenue column (Umsatzerlöse)"),
        "chiffredaffaires": (0.9, "a French revenue column (chiffre d'affaires)"),
        "ingresos": (0.85, "a Spanish revenue column (ingresos)"),
        "ventas": (0.75, "a Spanish sales column (ventas)"),
        "fatturato": (0.9, "an Italian revenue column (fatturato)"),
        "omzet": (0.9, "a Dutch revenue column (omzet)"),
    },
    "deal_size": {
        "dealsize": (0.95, "a deal size column"),
        "averagedealsize": (0.95, "an average deal size column"),
        "avgdealsize": (0.95, "an average deal size column"),
        "typicaldealsize": (0.95, "a typical deal size column"),
        "amount": (0.75, "the Salesforce opportunity Amount"),
        "opportunityamount": (0.85, "an opportunity amount"),
        "dealvalue": (0.85, "a deal value column"),
        "averageordervalue": (0.85, "an average order value column"),
        "aov": (0.8, "an average order value column"),
        "acv": (0.85, "an annual contract value column"),
        "contractvalue": (0.8, "a contract value column"),
        "annualcontractvalue": (0.85, "an annual contract value column"),
        "averagecontractvalue": (0.9, "an average contract value column"),
        "avgopportunityamount": (0.95, "the Salesforce report average opportunity amount"),
        "averageopportunityamount": (0.95, "an average opportunity amount"),
        "avgdealvalue": (0.95, "an average deal value column (HubSpot style)"),
        "averagedealvalue": (0.95, "an average deal value column"),
        "averagewondeal": (0.95, "an average won deal column"),
        "averagesellingprice": (0.8, "an average selling price column"),
        "asp": (0.75, "an average selling price column"),
    },
    "status": {
        "type": (0.85, "the Salesforce account Type"),
        "accounttype": (0.95, "the Zoho/Salesforce report Account Type"),
        "lifecyclestage": (0.95, "the HubSpot lifecycle stage"),
        "relationshiptype": (0.95, "the Dynamics 365 relationship type"),
        "status": (0.85, "a status column"),
        "accountstatus": (0.9, "an account status column"),
        "customerstatus": (0.9, "a customer status column"),
        "customertype": (0.85, "a customer type column"),
        "label": (0.6, "the Pipedrive label"),
        "kundenstatus": (0.9, "a German customer status column (Kundenstatus)"),
        "kundentyp": (0.85, "a German customer type column (Kundentyp)"),
        "typ": (0.8, "a German type column (Typ)"),
        "statut": (0.85, "a French status column (statut)"),
        "estado": (0.8, "a Spanish status column (estado)"),
    },
    "owner": {
        "owner": (0.9, "the Dynamics 365 Owner"),
        "ownerid": (0.85, "the Salesforce OwnerId"),
        "accountowner": (0.95, "the Salesforce/Zoho account owner"),
        "companyowner": (0.95, "the HubSpot company owner"),
        "hubspotowner": (0.9, "the HubSpot owner"),
        "ownername": (0.95, "an owner name column"),
        "salesrep": (0.9, "a sales rep column"),
        "rep": (0.8, "a rep column"),
        "accountmanager": (0.9, "an account manager column"),
        "assignedto": (0.8, "an assigned-to column"),
        "accountexecutive": (0.85, "an account executive column"),
        "betreuer": (0.85, "a German account owner column (Betreuer)"),
        "kundenbetreuer": (0.9, "a German account owner column (Kundenbetreuer)"),
        "vertriebsmitarbeiter": (0.85, "a German sales rep column (Vertriebsmitarbeiter)"),
        "responsable": (0.75, "a French/Spanish owner column (responsable)"),
    },
    "country": {
        "billingcountry": (0.95, "the Salesforce billing country"),
        "country": (0.95, "a country column"),
        "countryregion": (0.9, "the HubSpot Country/Region"),
        "address1countryregion": (0.95, "the Dynamics 365 address country"),
        "countryname": (0.9, "a country column"),
        "englishcountryregionname": (0.9, "the AdventureWorks country"),
        "shippingcountry": (0.6, "the Salesforce shipping country"),
        "billingcountrycode": (0.85, "the billing country code"),
        "countrycode": (0.85, "a country code column"),
        "land": (0.85, "a German/Dutch country column (Land)"),
        "pays": (0.9, "a French country column (pays)"),
        "país": (0.9, "a Spanish country column (país)"),
    },
    "region": {
        "billingstate": (0.95, "the Salesforce billing state"),
        "billingstateprovince": (0.95, "the Salesforce report billing state label"),
        "state": (0.9, "a state column"),
        "stateregion": (0.9, "the HubSpot State/Region"),
        "stateprovince": (0.9, "a state/province column"),
        "address1stateprovince": (0.95, "the Dynamics 365 address state"),
        "stateprovincename": (0.9, "the AdventureWorks state"),
        "province": (0.85, "a province column"),
        "region": (0.85, "a region column"),
        "salesregion": (0.85, "a sales region column"),
        "territory": (0.8, "a territory column"),
        "shippingstate": (0.6, "the Salesforce shipping state"),
        "billingstatecode": (0.85, "the billing state code"),
        "bundesland": (0.9, "a German state column (Bundesland)"),
    },
    "created": {
        "createddate": (0.95, "the Salesforce CreatedDate"),
        "created": (0.9, "a created column"),
        "createdon": (0.95, "the Dynamics 365 Created On"),
        "createdate": (0.95, "the HubSpot Create Date"),
        "createdtime": (0.95, "the Zoho Created Time"),
        "datecreated": (0.9, "a date created column"),
        "organizationcreated": (0.9, "the Pipedrive organization created date"),
        "customersince": (0.85, "a customer-since column"),
        "accountcreated": (0.9, "an account created column"),
        "createdat": (0.9, "a created-at column"),
    },
    "parent_id": {
        "parentid": (0.95, "the Salesforce ParentId"),
        "parentaccount": (0.95, "the Dynamics/Zoho parent account"),
        "parentaccountid": (0.95, "a parent account ID"),
        "parentcompany": (0.9, "the HubSpot parent company"),
        "parent": (0.8, "a parent column"),
        "parentorganization": (0.9, "a parent organization column"),
    },
    "website": {
        "website": (0.95, "a website column"),
        "websiteurl": (0.95, "the HubSpot website URL"),
        "companydomainname": (0.9, "the HubSpot company domain"),
        "domain": (0.9, "a domain column"),
        "url": (0.8, "a URL column"),
        "web": (0.8, "a web column"),
        "homepage": (0.8, "a homepage column"),
    },
}

SYNONYMS: dict[str, tuple[str, float, str]] = {
    key: (f, conf, f"a known header ({src})")
    for f, table in _SYNONYM_TABLE.items()
    for key, (conf, src) in table.items()
}
"""Normalised header → (canonical field, confidence, evidence text)."""


@dataclass
class FieldMatch:
    """One canonical field matched to one source column."""

    field: str
    column: str
    confidence: float
    evidence: str


@dataclass
class Mapping:
    """The column mapping and what stays out of clustering, with reasons."""

    matches: dict[str, FieldMatch]
    unmapped: list[str]
    excluded: dict[str, str]
    feature_columns: list[str]
    warnings: list[str] = field(default_factory=list)

    @property
    def columns(self) -> dict[str, str]:
        """Canonical field → source column."""
        return {f: m.column for f, m in self.matches.items()}

    def to_dict(self) -> dict:
        """Return a JSON-serialisable copy."""
        return {
            "matches": {
                f: {
                    "column": m.column,
                    "confidence": round(m.confidence, 3),
                    "evidence": m.evidence,
                }
                for f, m in self.matches.items()
            },
            "unmapped": list(self.unmapped),
            "excluded": dict(self.excluded),
            "feature_columns": list(self.feature_columns),
            "warnings": list(self.warnings),
        }


_ID_HEADER = re.compile(r"(^id$|id$|key$|number$|^no$|code$|zip|postal|phone|fax|guid|uuid)")
_SKIP_FEATURE_HEADER = re.compile(r"(latitude|longitude|^lat$|^lon$|^lng$|year|month|probability)")


def infer_mapping(
    df: pd.DataFrame,
    overrides: dict[str, str] | None = None,
    ignore: list[str] | None = None,
) -> Mapping:
    """Decide which source column feeds each canonical field.

    Parameters
    ----------
    df : pandas.DataFrame
        The all-text table from :func:`segmentation.ingest.read_table`.
    overrides : dict, optional
        ``{field: column}`` chosen by the user (``--map``); they win over inference.
    ignore : list of str, optional
        Source columns the user keeps out of mapping and features (``--ignore``).

    Returns
    -------
    Mapping

    Raises
    ------
    InputError
        An override names an unknown field or column, an ignored column does not exist,
        or no column can serve as the account name while text columns exist that could.
    """
    overrides = dict(overrides or {})
    ignore = list(ignore or [])
    cols = [str(c) for c in df.columns]
    _check_user_input(cols, overrides, ignore)

    matches: dict[str, FieldMatch] = {}
    used: set[str] = set(ignore)
    for f, col in overrides.items():
        matches[f] = FieldMatch(f, col, 1.0, f"chosen by you (--map {f}={col})")
        used.add(col)

    profiles = {c: profile_column(df[c]) for c in cols}
    keys = {c: normalise_header(c) for c in cols}
    candidates = _header_candidates(cols) + content_candidates(cols, profiles, keys)
    for conf, f, col, evidence in sorted(candidates, key=lambda t: -t[0]):
        if f in matches or col in used:
            continue
        if not content_agrees(f, profiles[col]):
            continue
        matches[f] = FieldMatch(f, col, conf, evidence)
        used.add(col)

    warnings: list[str] = []
    if "account_name" not in matches:
        _handle_missing_name(cols, profiles, used, matches, warnings)

    ordered = {f: matches[f] for f in FIELD_NAMES if f in matches}
    unmapped = [c for c in cols if c not in {m.column for m in ordered.values()}]
    excluded: dict[str, str] = {}
    features: list[str] = []
    for c in unmapped:
        if c in ignore:
            excluded[c] = "user --ignore"
            continue
        reason = _exclusion_reason(c, profiles[c])
        if reason:
            excluded[c] = reason
        else:
            features.append(c)
    return Mapping(ordered, unmapped, excluded, features, warnings)


def _check_user_input(cols: list[str], overrides: dict[str, str], ignore: list[str]) -> None:
    for f, col in overrides.items():
        if f not in FIELD_NAMES:
            raise InputError(
                f"Unknown field {f!r} in --map. Valid fields: {', '.join(FIELD_NAMES)}."
            )
        if col not in cols:
            raise InputError(
                f"--map {f}={col}: there is no column {col!r}. Columns: {', '.join(cols)}."
            )
    dup = [c for c in set(overrides.values()) if list(overrides.values()).count(c) > 1]
    if dup:
        raise InputError(f"Column {dup[0]!r} is mapped to more than one field in --map.")
    for col in ignore:
        if col not in cols:
            raise InputError(
                f"--ignore {col}: there is no such column. Columns: {', '.join(cols)}."
            )
        if col in overrides.values():
            raise InputError(f"Column {col!r} is both mapped (--map) and ignored (--ignore).")


# "Avg Deal Value", "Average Won Deal Size", "Median Opportunity Amount", "Typical ACV"
_DEAL_SIZE_HEADER = re.compile(
    r"^(?:avg|average|typical|median|mean)(?:won|closed|closedwon)?"
    r"(?:deal|deals|opportunity|opportunities|opp|opps|contract|order|ticket|acv)"
    r"(?:size|value|amount|revenue)?$"
)


def _header_candidates(cols: list[str]) -> list[tuple[float, str, str, str]]:
    out = []
    for col in cols:
        key = normalise_header(col)
        hit = SYNONYMS.get(key)
        if hit:
            f, conf, source = hit
            out.append((conf, f, col, f"header {col!r} is {source}"))
            continue
        stripped = strip_prefix(key)
        if stripped != key and stripped in SYNONYMS:
            f, conf, source = SYNONYMS[stripped]
            out.append(
                (round(conf - 0.05, 2), f, col, f"header {col!r} is {source} with an object prefix")
            )
            continue
        # A money header with its unit: "Revenues ($M)", "Umsatz (Mio. €)", "ARR $K". Only money
        # fields: a scale or currency word says nothing about a name or a country.
        unit = header_unit(col)
        base = normalise_header(unit.base) if unit.text else key
        hit = SYNONYMS.get(base) or SYNONYMS.get(strip_prefix(base))
        if unit.text and hit and hit[0] in MONEY_FIELDS:
            f, conf, source = hit
            out.append(
                (round(conf - 0.02, 2), f, col, f"header {col!r} is {source}, in {unit.text!r}")
            )
        elif _DEAL_SIZE_HEADER.match(base):
            out.append(
                (0.85, "deal_size", col, f"header {col!r} names an average or typical deal amount")
            )
    return out


def _handle_missing_name(cols, profiles, used, matches, warnings) -> None:
    text_cols = [
        c
        for c in cols
        if c not in used
        and profiles[c]["n"]
        and profiles[c].get("alpha", 0) >= 0.5
        and profiles[c].get("numeric", 1) < 0.5
    ]
    text_cols.sort(key=lambda c: -profiles[c]["distinct"])
    if text_cols:
        raise InputError(
            "No column looks like the account name. Candidates: "
            + ", ".join(repr(c) for c in text_cols[:6])
            + ". Choose one with --map account_name=COLUMN."
        )
    # Purely numeric tables (e.g. UCI wholesale spend) still segment: rows are named by id.
    warnings.append(
        "No account name column: the table has no text columns, so accounts are named by "
        "their ID (or row number)."
    )


def _exclusion_reason(col: str, p: dict) -> str | None:
    key = normalise_header(col)
    if not p["n"]:
        return "empty"
    if p["distinct"] <= 1:
        return "constant"
    if p["numeric"] >= 0.9:
        if _ID_HEADER.search(key) and not key.endswith(("amount", "count")):
            return "identifier"
        if p.get("year_like") or _SKIP_FEATURE_HEADER.search(key):
            return "year, month, probability or coordinate"
        if p["ints"] and p["distinct"] <= 5 and p["max"] <= 20:
            return f"code with {p['distinct']} values (category, not a quantity)"
        return None
    if p["date"] >= 0.8:
        return "date"
    if p["distinct"] / p["n"] >= 0.95 and p["n"] >= 5:
        return "identifier" if p["avg_len"] <= 40 and p.get("spaced", 1) < 0.05 else "free text"
    if p["avg_len"] > 40:
        return "free text"
    return "category (not used as a numeric feature)"
