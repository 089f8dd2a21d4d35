"""Text columns as Arrow arrays: pyarrow's compute kernels on a pandas ``str`` Series and back.

A ``str`` Series is backed by Arrow data, so cleaning and name keys can run pyarrow's
vectorised string kernels on it without a copy, where pandas would fall back to Python's
``re`` one cell at a time (see :mod:`segmentation.numbers`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def to_arrow(text: pd.Series) -> pa.ChunkedArray:
    """The Arrow data behind a ``str`` Series (no copy)."""
    arr = pa.array(text, from_pandas=True)
    return arr if isinstance(arr, pa.ChunkedArray) else pa.chunked_array([arr])


def arrow_mask(mask) -> np.ndarray:
    """Arrow booleans → numpy, null as False."""
    return np.asarray(pc.fill_null(mask, False).to_numpy(zero_copy_only=False), dtype=bool)


def to_text_series(arr: pa.ChunkedArray, like: pd.Series) -> pd.Series:
    """Arrow text back to a ``str`` Series with the index and name of ``like``."""
    return pd.Series(pd.array(arr, dtype="str"), index=like.index, name=like.name)
