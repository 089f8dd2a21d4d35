"""Spreadsheet formula injection: text cells guarded on the way out, unguarded on the way in.

Both sides use it: :mod:`segmentation.export` guards every text cell it writes, and
:mod:`segmentation.ingest` removes that guard when our own files are read back, so the round trip
is lossless.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

# OWASP CSV injection triggers, plus ASVS's NUL and the full-width forms Japanese Excel evaluates.
_TRIGGERS = "=+-@\t\r\n|%\x00＝＋－＠"
# Leading spaces, NBSP and zero-width characters do not stop Excel from evaluating what follows.
_INVISIBLE = " \u00a0\u200b\u200c\u200d\u2060\ufeff"
_FORMULA = f"[{re.escape(_INVISIBLE)}]*[{re.escape(_TRIGGERS)}]"
# Text that already starts with quotes before a trigger ("'=1") gets one more, so that
# unguard_text (which removes exactly one) gives back the original: the round trip is lossless.
_DANGEROUS = re.compile(f"^'*{_FORMULA}")
_GUARDED = _DANGEROUS.pattern.replace("^'*", "^'+", 1)  # our quote, then the same pattern


def guard_text(values: pd.Series) -> pd.Series:
    """Neutralise text cells a spreadsheet would execute, by prefixing ``'``.

    Parameters
    ----------
    values : pandas.Series
        Any column. Only string cells are touched; numbers stay numbers.

    Returns
    -------
    pandas.Series
        The column with every dangerous string cell prefixed with a single quote. Text that
        already starts with quotes before a trigger (``'=1``) gets one more, so that
        :func:`unguard_text` restores every value exactly.
    """
    if isinstance(values.dtype, pd.CategoricalDtype):
        # Guard the few distinct values, not every row: a million accounts share a few dozen
        # reasons. Guarding is one-to-one (see above), so the guarded categories stay distinct.
        categories = pd.Series(values.cat.categories, dtype=values.cat.categories.dtype)
        guarded = guard_text(categories)
        if guarded is categories:  # nothing to guard
            return values
        return values.cat.rename_categories(pd.Index(guarded, dtype=categories.dtype))
    if not (pd.api.types.is_string_dtype(values) or values.dtype == object):
        return values
    text = values.astype("str")
    dangerous = text.str.contains(_DANGEROUS, na=False)
    if values.dtype == object:
        # a mixed column: -5 stays the number -5, only text cells are guarded
        dangerous &= np.fromiter((isinstance(v, str) for v in values), bool, len(values))
    if not dangerous.any():
        return values
    return values.mask(dangerous, "'" + text)


def unguard_text(values: pd.Series) -> pd.Series:
    """Undo :func:`guard_text`, so that re-reading our own export is lossless.

    Removes one leading ``'`` where it stands before (more quotes and) a formula trigger;
    ``unguard_text(guard_text(s))`` equals ``s`` for every string column ``s``.
    """
    if not pd.api.types.is_string_dtype(values):
        return values
    guarded = values.str.contains(_GUARDED, regex=True, na=False)
    if not guarded.any():
        return values
    return values.mask(guarded, values.str.slice(1))


def guard_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Apply :func:`guard_text` to every column (headers included)."""
    guarded = frame.apply(guard_text)
    guarded.columns = guard_text(pd.Series(frame.columns, dtype="str")).tolist()
    return guarded
