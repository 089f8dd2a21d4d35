"""Text from customer files, made inert inside Markdown.

Industry labels, account names and column headers reach the plan summary and the app's pages.
Rendered as Markdown, ``![x](https://…)`` would load a remote image, ``[x](…)`` would be a link,
and ``$…$`` would typeset as maths; :func:`escape` keeps them plain text.
"""

from __future__ import annotations

import html
import re

_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~$])")


def escape(text: object) -> str:
    """Backslash-escape every Markdown-special character, and HTML-escape the rest.

    Parameters
    ----------
    text : object
        Anything; it is turned into ``str`` first.

    Returns
    -------
    str
        Text that renders as itself in CommonMark, Streamlit's Markdown included (also where
        HTML is allowed).
    """
    return _SPECIAL.sub(r"\\\1", html.escape(str(text), quote=False))
