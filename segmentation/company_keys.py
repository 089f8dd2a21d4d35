"""Name and domain keys: one key per company however its name or website is written.

Duplicate detection (:mod:`segmentation.quality`), the join of deals to accounts
(:mod:`segmentation.opportunity_join`), the market list's matching
(:mod:`segmentation.market_list`) and competitor names all compare
accounts by these keys rather than by the text as typed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from segmentation.arrow_text import arrow_mask, to_arrow, to_text_series

# Python's ``\s`` and ``\w`` restricted to ASCII, spelled out for pyarrow (RE2): on ASCII text
# these classes match exactly what Python's do, so the keys below come out the same as with
# Python's ``re`` (see :mod:`segmentation.numbers` for why pandas would otherwise fall back to it
# cell by cell). Non-ASCII text keeps Python's rules (:func:`_name_key_python`).
_ASCII_WS_NOT_SPACE = r"\t\n\x0b\x0c\r\x1c-\x1f"
_ASCII_WS = _ASCII_WS_NOT_SPACE + " "
_LEGAL_SUFFIX = (
    r"\b(?:inc|llc|ltd|limited|corp|corporation|co|company|plc|gmbh|ag|sa|sas|srl|bv|nv|the)\b"
)


def normalise_name(names: pd.Series) -> pd.Series:
    r"""Company-name key for duplicates and for joining deals: case, punctuation, legal suffixes off.

    "Smith & Sons Ltd" and "SMITH AND SONS" give the same key ("smith and sons").

    Keys are ``casefold``, ``&`` → "and", every character that is neither a word character nor
    whitespace (Python's Unicode ``\w``/``\s``) → space, legal suffixes dropped, whitespace runs
    → one space, stripped; blank → NA. ASCII names go through pyarrow with the classes spelled
    out; the others (and only the distinct ones) through Python's ``re``, with the same result.
    """
    text = names.astype("str")
    arr = to_arrow(text)
    key = pc.utf8_lower(arr)  # = str.casefold on ASCII
    key = pc.replace_substring(key, "&", " and ")
    key = pc.replace_substring_regex(key, f"[^0-9A-Za-z_{_ASCII_WS}]", " ")
    key = pc.replace_substring_regex(key, _LEGAL_SUFFIX, " ")
    # only the runs that change anything: ``\s+`` → " " leaves a lone space as it is, and
    # rewriting every space costs more than the rest of the key
    key = pc.replace_substring_regex(key, f"[{_ASCII_WS}]{{2,}}|[{_ASCII_WS_NOT_SPACE}]", " ")
    key = pc.utf8_trim_whitespace(key)
    key = _python_where_needed(key, text, _non_ascii(arr), _name_key_python)
    return to_text_series(_blank_to_na(key), names)


def _name_key_python(names: pd.Series) -> pd.Series:
    key = names.str.casefold().str.replace("&", " and ", regex=False)
    key = key.str.replace(r"[^\w\s]", " ", regex=True)
    key = key.str.replace(_LEGAL_SUFFIX, " ", regex=True)
    return key.str.replace(r"\s+", " ", regex=True).str.strip()


def website_domain(urls: pd.Series) -> pd.Series:
    r"""Domain key for duplicate detection: scheme, www. and path removed (casefolded).

    ASCII addresses without line breaks go through pyarrow; the others through Python's ``re``
    (whose ``$`` also matches before a final line break), with the same result.
    """
    text = urls.astype("str")
    arr = to_arrow(text)
    d = pc.utf8_lower(pc.utf8_trim_whitespace(arr))  # = str.strip().str.casefold() on ASCII
    d = pc.replace_substring_regex(d, r"^[a-z]+://", "")
    d = pc.replace_substring_regex(d, r"^www\.", "")
    # on text without line breaks, "[/?#:].*$" matches wherever one of the four does
    d = _replace(d, r"[/?#:].*$", "", find="[/?#:]")
    slow = _non_ascii(arr) | arrow_mask(pc.match_substring(arr, "\n"))
    d = _python_where_needed(d, text, slow, _domain_python)
    dotted = arrow_mask(pc.match_substring(d, "."))
    return to_text_series(pc.if_else(dotted, d, pa.scalar(None, d.type)), urls)


def _domain_python(urls: pd.Series) -> pd.Series:
    d = urls.str.strip().str.casefold()
    d = d.str.replace(r"^[a-z]+://", "", regex=True).str.replace(r"^www\.", "", regex=True)
    return d.str.replace(r"[/?#:].*$", "", regex=True)


def _replace(arr: pa.ChunkedArray, pattern: str, repl: str, find: str) -> pa.ChunkedArray:
    """``pc.replace_substring_regex`` run only on the cells where ``find`` (a cheaper pattern
    that matches the same cells) matches: for a rare match, testing costs less than rewriting.
    """
    hit = arrow_mask(pc.match_substring_regex(arr, find))
    if not hit.any():
        return arr
    if hit.sum() > len(hit) // 2:
        return pc.replace_substring_regex(arr, pattern, repl)
    done = pc.replace_substring_regex(arr.filter(pa.array(hit)), pattern, repl).combine_chunks()
    return pc.replace_with_mask(arr, pa.array(hit), done)


def _non_ascii(arr: pa.ChunkedArray) -> np.ndarray:
    return ~np.asarray(
        pc.fill_null(pc.string_is_ascii(arr), True).to_numpy(zero_copy_only=False), dtype=bool
    )


def _python_where_needed(
    fast: pa.ChunkedArray, text: pd.Series, slow: np.ndarray, func
) -> pa.ChunkedArray:
    """``fast`` with the ``slow`` rows replaced by ``func`` (Python's ``re``) on their distinct values."""
    if not slow.any():
        return fast
    codes, uniques = pd.factorize(text[slow])
    done = func(pd.Series(uniques, dtype="str"))
    values = to_arrow(done).combine_chunks().take(pa.array(codes)).cast(fast.type)
    return pc.replace_with_mask(fast, pa.array(slow), values)


def _blank_to_na(arr: pa.ChunkedArray) -> pa.ChunkedArray:
    empty = arrow_mask(pc.equal(arr, ""))
    return pc.if_else(empty, pa.scalar(None, arr.type), arr) if empty.any() else arr
