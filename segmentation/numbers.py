r"""Parse money and head-count text the way CRM exports write it.

"USD 1,234,567.00", "$1.2M", "850K", "1.234.567,89 €", "1 234 567,89", "(1,000)" and
"51-200" all occur in real exports. The decimal separator is decided once per column from
the majority of unambiguous cells, so "1.234" means the same thing on every row. Work is
done on the distinct values only (``pd.factorize``) with vectorised ``str`` methods.

Speed: pandas runs a ``str`` regex with pyarrow (RE2) only when RE2 gives Python's answer, and
falls back to Python's ``re`` one cell at a time otherwise (any ``\s``; ``\d``, ``\w`` or ``\b``
on non-ASCII text; ``extract`` and ``rfind`` always). The patterns below therefore spell
whitespace out (:data:`_WS`, exactly the characters Python's ``\s`` matches) and
:func:`_extract` hands all-ASCII text to ``pyarrow.compute.extract_regex``: same results, about
ten times faster on a column of a million distinct amounts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

# Exactly the characters Python's ``\s`` matches in a str pattern (``str.isspace``), written out
# so that pyarrow can run the pattern (see the module docstring).
_WS_CHARS = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
_WS = f"[{_WS_CHARS}]"

# Currency words and symbols that may surround an amount.
_CURRENCY = (
    r"(?:USD|EUR|GBP|CHF|CAD|AUD|JPY|CNY|INR|SEK|NOK|DKK|PLN|BRL|MXN|US\$|A\$|C\$|R\$|[$€£¥₹])"
)
_SPACES = f"[{_WS_CHARS}']"  # thousands groups: any space (NBSP, narrow NBSP...), Swiss '
_SUFFIX = {
    "": 1.0,
    "k": 1e3,
    "thousand": 1e3,
    "m": 1e6,
    "mm": 1e6,
    "mn": 1e6,
    "mio": 1e6,
    "million": 1e6,
    "millions": 1e6,
    "b": 1e9,
    "bn": 1e9,
    "billion": 1e9,
    "billions": 1e9,
}
_SUFFIX_RE = r"(?P<suffix>k|thousand|mm|mn|mio|millions?|m|bn|billions?|b)?"
_MONEY_MARK = rf"{_CURRENCY}|\d ?(?:[kKmMbB]|thousand|million|billion)"
# The unit at the end of a range's upper bound ("50M", "2 K", "5 bn"), to give the lower bound.
_TRAILING_UNIT = r"\d\s?(k|thousand|mm|mn|mio|millions?|m|bn|billions?|b)\.?$"
_NUM = rf"(?P<num>(?:\d[\d.,{_WS_CHARS}']*|[.,]\d+)(?:e[+-]?\d+)?)"


def parse_money(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse money text into numbers.

    Parameters
    ----------
    values : pandas.Series
        Text cells (any dtype; numbers pass through).

    Returns
    -------
    parsed : pandas.Series of float64
        The amounts, NaN for blank or unparseable cells. Same index as ``values``.
    failed : pandas.Series of bool
        True where a non-blank cell could not be read as an amount.

    Notes
    -----
    Accepts currency codes/symbols on either side, K/M/B/MM/bn suffixes, parentheses or a
    leading minus for negatives, and US ("1,234.56"), European ("1.234,56") and spaced
    ("1 234,56") grouping. Percentages are refused (they are not amounts).
    """
    parsed, failed, _ = _parse_column(values, allow_ranges=False)
    return parsed, failed


def parse_money_range(values: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Parse money, including the revenue bands data providers export ("$1M-$5M", "$1B+").

    Parameters
    ----------
    values : pandas.Series
        Text cells such as "USD 1,234.00", "$1.2M", "$10M - $50M", "$500K to $1M", "$1B+".

    Returns
    -------
    parsed : pandas.Series of float64
        The amount; the midpoint of a band ("$1M-$5M" → 3,000,000), the lower bound of an open
        band ("$1B+" → 1,000,000,000); NaN when blank or unparseable.
    failed : pandas.Series of bool
        Non-blank cells that could not be read.
    is_range : pandas.Series of bool
        Cells that were a band.
    """
    return _parse_column(values, allow_ranges=True, money=True)


def parse_count(values: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Parse employee counts, including the ranges CRMs use as picklists.

    Parameters
    ----------
    values : pandas.Series
        Text cells such as "250", "1,200", "51-200", "10,001+", "1 to 10".

    Returns
    -------
    parsed : pandas.Series of float64
        Midpoint of a range ("51-200" → 125.5), lower bound of an open range
        ("10,001+" → 10001), the number otherwise; NaN when blank or unparseable.
    failed : pandas.Series of bool
        Non-blank cells that could not be read.
    is_range : pandas.Series of bool
        Cells that were a range or open-ended ("+") value.
    """
    return _parse_column(values, allow_ranges=True)


def _parse_column(values: pd.Series, *, allow_ranges: bool, money: bool = False):
    index = values.index
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        out = pd.Series(values.to_numpy(dtype="float64", na_value=np.nan), index=index)
        false = pd.Series(False, index=index)
        return out, false, false.copy()
    # Everything below works on the distinct values: a million cells hold a few thousand.
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    uniq = pd.Series(uniques, dtype="str").reset_index(drop=True)
    fast = _plain_numbers(uniq)
    if fast is not None:
        val, bad, rng = fast, np.zeros(len(uniq), bool), np.zeros(len(uniq), bool)
    else:
        val, bad, rng = _parse_unique(uniq, allow_ranges, money)

    def take(arr, fill):
        arr = np.asarray(arr)
        if not len(arr):
            return np.full(len(codes), fill)
        return np.where(codes >= 0, arr[np.maximum(codes, 0)], fill)

    return (
        pd.Series(take(val, np.nan).astype("float64"), index=index),
        pd.Series(take(bad, False).astype(bool), index=index),
        pd.Series(take(rng, False).astype(bool), index=index),
    )


def _plain_numbers(text: pd.Series) -> np.ndarray | None:
    """Fast path for columns of bare numbers ("1234", "-5", "12.5"), the common export case.

    Returns None when any cell needs the full parser, including "1.234"-style cells whose
    meaning depends on the column's locale.
    """
    present = text.notna()
    plain = text.str.fullmatch(r"-?\d+(?:\.\d+)?")
    if not plain[present].all():
        return None
    if text.str.fullmatch(r"\d{1,3}\.\d{3}")[present].any():
        return None
    return pd.to_numeric(text, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)


def _extract(text: pd.Series, pattern: str) -> pd.DataFrame:
    """``text.str.extract(pattern)`` for a pattern of named groups, by pyarrow when it can.

    RE2 and Python's ``re`` agree on this module's patterns for ASCII text without line
    breaks (a group that does not take part comes back as "" rather than NaN, which no caller
    tells apart). Anything else goes to pandas, i.e. Python's ``re``, cell by cell.
    """
    arr = pa.array(text.astype("str"), from_pandas=True)
    if not len(arr) or not (
        pc.all(pc.string_is_ascii(arr), min_count=0).as_py()
        and not pc.any(pc.match_substring(arr, "\n"), min_count=0).as_py()
    ):
        return text.astype("str").str.extract(pattern, expand=True)
    found = pc.extract_regex(arr, pattern)
    names = [found.type.field(i).name for i in range(found.type.num_fields)]
    # Positional: the Arrow results carry no index, and ``text`` may be any subset of rows.
    return pd.DataFrame(
        {name: _to_str(col).set_axis(text.index) for name, col in zip(names, found.flatten())},
        index=text.index,
    )


def _to_str(arr: pa.Array) -> pd.Series:
    return arr.to_pandas(types_mapper=lambda t: pd.StringDtype(na_value=np.nan)).astype("str")


def _parse_unique(s: pd.Series, allow_ranges: bool, money: bool = False):
    text = s.str.strip().str.replace(_WS + "+", " ", regex=True)
    blank = text.eq("") | text.isna()
    if len(s) == 0:
        empty = np.array([], dtype=float)
        return empty, empty.astype(bool), empty.astype(bool)

    is_range = pd.Series(False, index=s.index)
    low = pd.Series(np.nan, index=s.index)
    high = pd.Series(np.nan, index=s.index)
    # Only cells with a range marker can be ranges (a superset of the patterns below): most money
    # columns have none, and the range patterns cost as much as the amounts themselves.
    marked = (
        text.str.contains(r"[-–—+>]|to|or more|more than|over", case=False, regex=True, na=False)
        if allow_ranges
        else pd.Series(False, index=s.index)
    )
    if money:
        # A money band says it is money ("$1M-$5M", "10-50M"): "12345-6789" is a ZIP code and
        # "555-1234" a phone number, not a range of amounts.
        marked = marked & text.where(marked).str.contains(_MONEY_MARK, regex=True, na=False)
    if marked.any():
        # "51-200", "1 to 10", "1–10", "10,001+", "10000 or more", "more than 5000"
        cand = text[marked].str.lower()
        rm = _extract(cand, rf"^(?P<a>[^-–—]+?){_WS}*(?:-|–|—|\bto\b){_WS}*(?P<b>[^-–—]+)$")
        plus = _extract(cand, rf"^(?:more than|over|>=?)?{_WS}*(?P<a>[^+]+?){_WS}*(?:\+|or more)?$")
        plus_mark = cand.str.contains(r"\+$|or more$|^(?:more than|over|>)", regex=True, na=False)
        # "$10-50M" and "1-2K": a unit on the upper bound only is the unit of both.
        unit = rm["b"].str.extract(_TRAILING_UNIT, expand=False)
        bare = rm["a"].str.contains(r"\d$", regex=True, na=False)
        a_r = _amounts(rm["a"])
        b_r = _amounts(rm["b"])
        scaled = _amounts(rm["a"].where(~(bare & unit.notna()), rm["a"] + unit.fillna("")))
        a_r = scaled.where(scaled <= b_r, a_r)  # only when that makes a sensible range
        # decide locale from all number-ish pieces together so ranges agree with plain cells
        both = rm["a"].notna() & ~cand.str.startswith("-", na=False)
        low_c = a_r.where(both)
        high_c = b_r.where(both)
        range_c = low_c.notna() & high_c.notna()
        plus_val = _amounts(plus["a"].where(plus_mark))
        low_c = low_c.where(range_c, plus_val)
        range_c = range_c | (plus_mark & plus_val.notna())
        low = low_c.reindex(s.index)
        high = high_c.reindex(s.index)
        is_range = range_c.reindex(s.index, fill_value=False).astype(bool)
    plain = _amounts(text.where(~is_range))
    value = plain.copy()
    if is_range.any():
        mid = (low + high.fillna(low)) / 2
        value = value.where(~is_range, mid)
    failed = ~blank & value.isna()
    return value.to_numpy(), failed.to_numpy(), is_range.to_numpy()


def _amounts(text: pd.Series) -> pd.Series:
    """Amount strings → float, deciding the decimal separator once for the whole column."""
    t = text.astype("str").str.strip().str.lower()
    t = t.str.replace(r"^\+", "", regex=True)
    neg_paren = t.str.match(r"^\(.*\)$", na=False)
    t = t.str.replace(r"^\((.*)\)$", r"\1", regex=True)
    t = t.str.replace(_CURRENCY.lower(), " ", regex=True).str.strip()
    neg_sign = t.str.match(r"^-", na=False)
    t = t.str.replace(f"^-{_WS}*", "", regex=True)
    t = t.str.replace(_CURRENCY.lower(), " ", regex=True).str.strip()
    parts = _extract(t, rf"^{_NUM}{_WS}*{_SUFFIX_RE}\.?$")
    num = parts["num"].str.strip()
    mult = parts["suffix"].fillna("").map(_SUFFIX).astype("float64")
    decimal = _column_decimal(num)
    num = num.str.replace(_SPACES, "", regex=True)
    if decimal == ",":
        num = num.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    else:
        num = num.str.replace(",", "", regex=False)
    # a second '.' after normalising is malformed ("1.2.3" in a US column)
    num = num.where(num.str.count(r"\.") <= 1)
    value = pd.to_numeric(num, errors="coerce").astype("float64") * mult
    value = value.where(~(neg_paren | neg_sign), -value)
    return value


def _column_decimal(num: pd.Series) -> str:
    """Majority vote on the decimal separator from cells that only one reading fits."""
    n = num.dropna().str.replace(_SPACES, " ", regex=True)
    if n.empty:
        return "."
    has_c = n.str.contains(",", regex=False)
    has_d = n.str.contains(".", regex=False)
    both = has_c & has_d
    last_comma = n.str.contains(r",[^.]*$", regex=True)  # rfind(",") > rfind("."), as a regex
    eu = int((both & last_comma).sum())
    us = int((both & ~last_comma).sum())
    only_c = n[has_c & ~has_d]
    only_d = n[has_d & ~has_c]
    # "1,5" / "1,23" / "1,2345" / "1,234,567" / "1.234.567"
    eu += int(only_c.str.match(r"^\d+,(\d{1,2}|\d{4,})$").sum())
    us += int(only_c.str.match(r"^\d{1,3}(,\d{3}){2,}$").sum())
    us += int(only_d.str.match(r"^\d+\.(\d{1,2}|\d{4,})$").sum())
    eu += int(only_d.str.match(r"^\d{1,3}(\.\d{3}){2,}$").sum())
    eu += int(n.str.match(r"^\d{1,3}( \d{3})+,\d+$").sum())
    if eu != us:
        return "," if eu > us else "."
    # only ambiguous "1,234" / "1.234" cells: they are thousands groups either way
    weak_us = int(only_c.str.match(r"^\d{1,3},\d{3}$").sum())
    weak_eu = int(only_d.str.match(r"^\d{1,3}\.\d{3}$").sum())
    return "," if weak_eu > weak_us else "."


# --- units and scale written in headers ("Revenues ($M)", "Umsatz (Mio. €)", "k€") -----------------

CURRENCY_CODES: dict[str, str] = {
    "us$": "USD",
    "a$": "AUD",
    "c$": "CAD",
    "r$": "BRL",
    "$": "USD",
    "€": "EUR",
    "£": "GBP",
    "¥": "JPY",
    "₹": "INR",
    **{
        c.lower(): c
        for c in (
            "USD",
            "EUR",
            "GBP",
            "CHF",
            "CAD",
            "AUD",
            "JPY",
            "CNY",
            "INR",
            "SEK",
            "NOK",
            "DKK",
            "PLN",
            "BRL",
            "MXN",
        )
    },
}
"""Currency symbol or code (lower case) → ISO 4217 code. ``$`` alone is read as USD."""

_SCALE_WORDS: dict[str, float] = {
    "thousand": 1e3,
    "thousands": 1e3,
    "tausend": 1e3,
    "tsd": 1e3,
    "000": 1e3,
    "000s": 1e3,
    "'000": 1e3,
    "'000s": 1e3,
    "million": 1e6,
    "millions": 1e6,
    "millionen": 1e6,
    "mio": 1e6,
    "mill": 1e6,
    "mn": 1e6,
    "mm": 1e6,
    "billion": 1e9,
    "billions": 1e9,
    "milliarden": 1e9,
    "mrd": 1e9,
    "bn": 1e9,
}
_SCALE_LETTERS: dict[str, float] = {"k": 1e3, "t": 1e3, "m": 1e6, "mm": 1e6, "b": 1e9, "bn": 1e9}
_CUR_SYM = r"(?:us\$|a\$|c\$|r\$|[$€£¥₹])"
_CUR_CODE = r"(?:usd|eur|gbp|chf|cad|aud|jpy|cny|inr|sek|nok|dkk|pln|brl|mxn)"
_CUR_ANY = rf"(?:{_CUR_SYM}|\b{_CUR_CODE}\b)"
_WORD = r"(?:thousands?|tausend|tsd|millions?|millionen|mio|mill|mn|mm|billions?|milliarden|mrd|bn)"
# One unit phrase, longest forms first. Headers are few and short: Python's ``re`` is fine here.
_UNIT_PHRASE = re.compile(
    "|".join(
        (
            # "in millions", "$ millions", "Mio. €", "millions of USD", "(000s)", "$MM"
            rf"(?P<w>(?:\bin\s+)?(?:{_CUR_ANY}\s*)?(?:\b{_WORD}\b\.?|(?<![\d.,])'?000s?(?!\d))"
            rf"(?:\s*(?:of\s+)?{_CUR_ANY})?)",
            # "$M", "€m", "£bn", "USD k", "EUR M"
            rf"(?P<cl>{_CUR_ANY}\s?(?:mm|bn|[kmb])\b\.?)",
            # "k€", "T€", "KEUR", "TEUR", "MUSD", "M$"
            rf"(?P<lc>\b(?:mm|[kmbt])\s?{_CUR_SYM}|\b[kmt]{_CUR_CODE}\b)",
            # "(M)", "[K]", "(bn)"
            r"(?P<p>(?<=[(\[])\s*(?:mm|bn|[kmb])\s*(?=[)\]]))",
            # a currency alone: "(USD)", "in €"
            rf"(?P<c>(?:\bin\s+)?{_CUR_ANY})",
        )
    ),
    re.IGNORECASE,
)


@dataclass(frozen=True)
class HeaderUnit:
    """The unit a column header states, and the header without it.

    Attributes
    ----------
    base : str
        The header with its unit words removed ("Revenues ($M)" → "Revenues").
    multiplier : float or None
        What one written unit is worth (1e6 for "$M"); None when the header names no scale.
    currency : str or None
        ISO code of the currency the header names ("$" → "USD", "€" → "EUR").
    text : str
        The unit as written in the header ("$M", "Mio. €"), for evidence.
    """

    base: str
    multiplier: float | None
    currency: str | None
    text: str


def header_unit(header: str) -> HeaderUnit:
    """Read the scale and currency a money column's header states.

    Parameters
    ----------
    header : str
        A column header such as "Revenues ($M)", "Revenue (in millions)", "Umsatz (Mio. €)",
        "Sales in thousands", "Umsatz k€", "Revenue (000s)", "ARR $K", "Revenue MM".

    Returns
    -------
    HeaderUnit
        ``multiplier`` and ``currency`` are None where the header does not say.
    """
    text = str(header)
    multiplier: float | None = None
    currency: str | None = None
    found: list[str] = []
    spans: list[tuple[int, int]] = []
    for m in _UNIT_PHRASE.finditer(text):
        phrase = m.group(0)
        low = phrase.casefold()
        scale = _phrase_scale(low, m.lastgroup)
        cur = _phrase_currency(low)
        if scale is None and cur is None:
            continue
        if scale is not None and multiplier is None:
            multiplier = scale
        if cur is not None and currency is None:
            currency = cur
        found.append(phrase.strip())
        spans.append(m.span())
    base = text
    for start, end in reversed(spans):
        base = base[:start] + " " + base[end:]
    # brackets left empty, or holding only separators, go with their unit ("Revenue ( )")
    base = re.sub(r"[(\[][\s,/.;:-]*[)\]]", " ", base)
    base = re.sub(r"\s+", " ", base).strip(" ,;:-/")
    return HeaderUnit(base or text, multiplier, currency, " ".join(found))


def _phrase_scale(low: str, kind: str | None) -> float | None:
    if kind == "c":
        return None
    for word in re.findall(r"'?000s?|[a-zäöü]+", low):
        if word in _SCALE_WORDS:
            return _SCALE_WORDS[word]
    if kind in ("cl", "lc", "p"):
        # what is left once the currency is taken out is the scale letter ("$M" → "m", "TEUR" → "t")
        letters = re.sub(_CUR_SYM, "", low)
        letters = re.sub(r"[^a-z]", "", letters)
        if (
            len(letters) > 3
            or len(letters) > 2
            and re.fullmatch(rf"{_CUR_CODE}.*|.*{_CUR_CODE}", letters)
        ):
            letters = re.sub(_CUR_CODE, "", letters, count=1)
        return _SCALE_LETTERS.get(letters)
    return None


def _phrase_currency(low: str) -> str | None:
    m = re.search(rf"{_CUR_SYM}|{_CUR_CODE}", low)
    if m is None:
        return None
    key = m.group(0)
    # "musd" / "keur": the code follows a scale letter
    return CURRENCY_CODES.get(key, CURRENCY_CODES.get(key[-3:]))


_CELL_CURRENCY = re.compile(rf"{_CUR_SYM}|\b{_CUR_CODE}\b", re.IGNORECASE)
_CELL_SCALE = (
    r"[0-9][ ]?(?:k|mm|mn|mio|m|bn|b|thousand|million|billion)s?\.?[ ]*(?:[$€£¥₹]|[a-z]{3})?[ ]*$"
)


def cell_currency(values: pd.Series) -> tuple[str | None, float]:
    """The currency most money cells name ("USD 1,200", "1.200 €"), and the share that name it.

    Parameters
    ----------
    values : pandas.Series
        Money text; a sample of a column is enough.

    Returns
    -------
    code : str or None
        ISO code of the most frequent currency, None when no cell names one.
    share : float
        Share of the non-blank cells naming that currency.
    """
    text = values.dropna().astype("str")
    text = text[text.str.strip() != ""]
    if text.empty:
        return None, 0.0
    # on the distinct cells, weighted by how often each occurs
    counts = text.value_counts(sort=False)
    found = [_CELL_CURRENCY.search(cell) for cell in counts.index]
    tally: dict[str, int] = {}
    for match, n in zip(found, counts.to_numpy()):
        code = CURRENCY_CODES.get(match.group(0).casefold()) if match else None
        if code is not None:
            tally[code] = tally.get(code, 0) + int(n)
    if not tally:
        return None, 0.0
    code = min(tally, key=lambda c: (-tally[c], c))
    return code, tally[code] / len(text)


def scaled_cells(values: pd.Series) -> pd.Series:
    """True where a money cell carries its own scale ("$1.2M", "850K", "2 bn").

    Parameters
    ----------
    values : pandas.Series
        Money text.

    Returns
    -------
    pandas.Series of bool
        Same index; blank cells are False.
    """
    text = values.astype("str").str.strip().str.lower()
    return text.str.contains(_CELL_SCALE, regex=True, na=False)


_UNIT_WORDS: dict[str, float] = {
    "1": 1.0,
    "one": 1.0,
    "units": 1.0,
    "unit": 1.0,
    "none": 1.0,
    # The words and letters a header or a cell says its scale with, read the same way here.
    **_SCALE_WORDS,
    **_SCALE_LETTERS,
}


def parse_unit(text: str) -> tuple[float | None, str | None]:
    """Read a unit the user gives (``--unit annual_revenue=1e6``): a multiplier, a currency, or both.

    Parameters
    ----------
    text : str
        "1e6", "1000000", "1,000", "M", "millions", "k", "1", "EUR", "1e6 EUR", "1e3:EUR".

    Returns
    -------
    multiplier : float or None
        None when only a currency is given.
    currency : str or None
        ISO code, None when only a multiplier is given.

    Raises
    ------
    ValueError
        When the text is neither; the message says what is accepted.
    """
    multiplier: float | None = None
    currency: str | None = None
    for part in re.split(r"[\s:;/]+", str(text).strip()):
        if not part:
            continue
        low = part.casefold()
        if low in CURRENCY_CODES:
            currency = CURRENCY_CODES[low]
            continue
        if low in _UNIT_WORDS:
            multiplier = _UNIT_WORDS[low]
            continue
        try:
            value = float(low.replace(",", "").replace("_", ""))
        except ValueError:
            raise ValueError(
                f"{text!r} is not a unit: give a multiplier (1, 1e3, 1e6, 1e9, or k, M, B) "
                "and/or a currency code (USD, EUR, GBP, ...)"
            ) from None
        if not (value > 0 and np.isfinite(value)):
            raise ValueError(f"{text!r}: the multiplier must be a positive number")
        multiplier = value
    if multiplier is None and currency is None:
        raise ValueError("a unit needs a multiplier (1e6, k, M) or a currency code (EUR)")
    return multiplier, currency
