"""Text from customer files, made inert inside Markdown.

Industry labels, account names and column headers reach the plan summary and the app's pages.
Rendered as Markdown, ``![x](https://…)`` would load a remote image, ``[x](…)`` would be a link,
and ``$…$`` would typeset as maths; :func:`escape` keeps them plain text. Renderers with GitHub's
autolink extension (Streamlit's among them) also turn bare ``http://…``, ``www.…`` and
``name@host`` into live links, whatever is backslash-escaped; the characters that start those
(``:``, ``@`` and the dot after ``www``) are written as character references, which read the same
but are not part of the text an autolink is looked for in.
"""

from __future__ import annotations

import html
import re

_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~$])")
_AUTOLINK_STARTS = re.compile(r":|@|(?<=www)\\\.", re.IGNORECASE)
_REFERENCES = {":": "&#58;", "@": "&#64;"}


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
    escaped = _SPECIAL.sub(r"\\\1", html.escape(str(text), quote=False))
    return _AUTOLINK_STARTS.sub(lambda m: _REFERENCES.get(m.group(), "&#46;"), escaped)
