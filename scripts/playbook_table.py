"""Write the shipped playbook into README.md as a Markdown table, between the playbook markers.

Usage::

    python scripts/playbook_table.py            # rewrite the region in README.md
    python scripts/playbook_table.py --check    # exit 1 when README.md's table is out of date
    python scripts/playbook_table.py PATH       # another README

Only the text between ``<!-- playbook:start -->`` and ``<!-- playbook:end -->`` changes; the rest
of the README belongs to its authors and is left byte-for-byte as it was.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run from a checkout without installing the package
    sys.path.insert(0, str(ROOT))

from segmentation.playbook import load_playbook  # noqa: E402 - after the path is set

START = "<!-- playbook:start -->"
END = "<!-- playbook:end -->"


def render() -> str:
    """Return the shipped playbook's Markdown table (what belongs between the markers).

    Returns
    -------
    str
    """
    return load_playbook().to_markdown()


def region(text: str) -> str:
    """Return the text between the playbook markers of a README.

    Parameters
    ----------
    text : str
        The README's content.

    Returns
    -------
    str
        Everything strictly between the end of the start marker line and the end marker.

    Raises
    ------
    ValueError
        If either marker is missing, repeated or out of order.
    """
    start, end = _positions(text)
    return text[start:end]


def splice(text: str, table: str) -> str:
    """Return ``text`` with the region between the markers replaced by ``table``.

    Parameters
    ----------
    text : str
        The README's content.
    table : str
        The new region (ends with a newline).

    Returns
    -------
    str
    """
    start, end = _positions(text)
    return text[:start] + table + text[end:]


def _positions(text: str) -> tuple[int, int]:
    if text.count(START) != 1 or text.count(END) != 1:
        raise ValueError(f"the README needs exactly one {START} and one {END} marker")
    s, e = text.index(START), text.index(END)
    if e < s:
        raise ValueError(f"{END} comes before {START}")
    # The table starts on the line after the start marker.
    first = text.index("\n", s) + 1 if "\n" in text[s:e] else s + len(START)
    return first, e


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("readme", nargs="?", default=str(ROOT / "README.md"))
    parser.add_argument("--check", action="store_true", help="exit 1 if the table is out of date")
    args = parser.parse_args(argv)
    path = Path(args.readme)
    text = path.read_text(encoding="utf-8")
    table = render()
    if args.check:
        if region(text) != table:
            print(
                f"{path}: the playbook table is out of date; run python scripts/playbook_table.py"
            )
            return 1
        return 0
    new = splice(text, table)
    if new != text:
        path.write_text(new, encoding="utf-8")
        print(f"{path}: playbook table updated ({len(load_playbook().rules)} rules)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
