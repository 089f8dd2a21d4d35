"""The coverage playbook: every threshold and rate the planner uses, with its source.

The shipped defaults live in ``playbook.toml`` next to this module. A user playbook (a TOML file
in the same shape, or a flat ``[rules]`` table of ``id = value``) and the app's controls override
only the ids they name; anything unknown is refused, so a typo never silently does nothing.
"""

from __future__ import annotations

import dataclasses
import math
import re
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from segmentation.errors import InputError

CONFIDENCE_TAGS: dict[str, str] = {
    "V": "vendor documentation",
    "R": "research / benchmark report",
    "B": "practitioner article",
    "LC": "low confidence (unsourced or our own calibration)",
}

_REQUIRED_KEYS = ("value", "range", "unit", "label", "source", "confidence")


@dataclass(frozen=True)
class Range:
    """The values a rule may take: an interval, or a fixed set such as a flag's 0 or 1.

    Written in ``playbook.toml`` in interval notation — ``"(0, 1]"`` for a share above 0 and at
    most 1, ``"[1, inf)"`` for a count of at least 1 — or as ``"0 or 1"``; see :meth:`parse`.

    Attributes
    ----------
    low, high : float
        The bounds (``-inf`` / ``inf`` when there is none).
    low_open, high_open : bool
        True when the bound itself is excluded.
    choices : tuple of float
        For a fixed set, its values (the bounds are then its smallest and largest); else empty.
    """

    low: float
    high: float
    low_open: bool = False
    high_open: bool = False
    choices: tuple[float, ...] = ()

    @classmethod
    def parse(cls, text: str) -> Range:
        """Read ``"[a, b]"``, ``"(a, b)"``, ``"[a, inf)"`` (any mix of brackets) or ``"a or b"``.

        Raises
        ------
        ValueError
            On anything else, or an empty interval.
        """
        text = str(text).strip()
        if " or " in text:
            choices = tuple(sorted(float(part) for part in text.split(" or ")))
            return cls(choices[0], choices[-1], choices=choices)
        match = re.fullmatch(r"([\[(])\s*([^,\s]+)\s*,\s*([^,\s]+)\s*([\])])", text)
        if not match:
            raise ValueError(f"not an interval such as '(0, 1]' or '[1, inf)': {text!r}")
        low, high = float(match[2]), float(match[3])
        # An infinite end is always open: "[1, inf]" would promise a value no number reaches.
        low_open = match[1] == "(" or math.isinf(low)
        high_open = match[4] == ")" or math.isinf(high)
        empty = low > high or (low == high and (low_open or high_open))
        if math.isnan(low) or math.isnan(high) or empty:
            raise ValueError(f"an empty interval: {text!r}")
        return cls(low, high, low_open, high_open)

    def __contains__(self, value: float) -> bool:
        if self.choices:
            return value in self.choices
        above = value > self.low if self.low_open else value >= self.low
        below = value < self.high if self.high_open else value <= self.high
        return above and below

    def __str__(self) -> str:
        """Interval notation, ``∞`` for no bound: ``(0, 1]``, ``[1, ∞)``, ``0 or 1``."""
        # No thousands separators here: "(0, 8,760]" would read as three numbers.
        if self.choices:
            return " or ".join(f"{c:.10g}" for c in self.choices)
        low = "-∞" if math.isinf(self.low) else f"{self.low:.10g}"
        high = "∞" if math.isinf(self.high) else f"{self.high:.10g}"
        return f"{'(' if self.low_open else '['}{low}, {high}{')' if self.high_open else ']'}"

    def words(self) -> str:
        """The same in words, for messages: "above 0 and at most 1", "at least 1", "0 or 1"."""
        if self.choices:
            return str(self)
        if not (self.low_open or self.high_open):
            return f"from {_fmt(self.low)} to {_fmt(self.high)}"
        parts = []
        if not math.isinf(self.low):
            parts.append(f"{'above' if self.low_open else 'at least'} {_fmt(self.low)}")
        if not math.isinf(self.high):
            parts.append(f"{'below' if self.high_open else 'at most'} {_fmt(self.high)}")
        return " and ".join(parts) or "any number"


ANY = Range(-math.inf, math.inf, True, True)
"""No bound (a rule built in code without a range)."""


@dataclass(frozen=True)
class Rule:
    """One playbook rule.

    Attributes
    ----------
    id : str
        Stable identifier used by the planner and in ``Plan.segments["rules"]``.
    value : float
        The number the planner applies.
    unit : str
        Unit of ``value`` (``"USD"``, ``"reps"``, ``"share of accounts"``...).
    label : str
        What the rule means, in a sales leader's words.
    source : str
        Where the default comes from.
    confidence : {"V", "R", "B", "LC"}
        Confidence tag of the source (see :data:`CONFIDENCE_TAGS`).
    valid : Range
        The values the rule may take (from the shipped playbook; a user file cannot change it).
    """

    id: str
    value: float
    unit: str
    label: str
    source: str
    confidence: str
    valid: Range = ANY

    def checked(self, value: float, where: str = "") -> float:
        """Return ``value`` when the rule may take it.

        Raises
        ------
        InputError
            Naming the rule, the value and the valid range.
        """
        if value not in self.valid:
            raise InputError(
                f"Rule '{self.id}'{(' ' + where) if where else ''} is {_fmt(value)}, outside its valid "
                f"range {self.valid} ({self.unit}): set a value "
                f"{'of ' if self.valid.choices else ''}{self.valid.words()}."
            )
        return value


@dataclass(frozen=True)
class Playbook:
    """An immutable set of rules keyed by id.

    Attributes
    ----------
    rules : dict of str to Rule
        All rules, in playbook file order.
    """

    rules: dict[str, Rule]

    def value(self, rule_id: str) -> float:
        """Return the value of one rule.

        Parameters
        ----------
        rule_id : str
            Rule identifier, e.g. ``"motion_field_min"``.

        Returns
        -------
        float

        Raises
        ------
        InputError
            If the id is not in the playbook.
        """
        try:
            return self.rules[rule_id].value
        except KeyError:
            raise InputError(_unknown_id_message(rule_id, self.rules)) from None

    def with_values(self, **values: float) -> Playbook:
        """Return a copy with some values replaced (the app's controls).

        A changed rule's source says "set by user (default ...)", so the app never shows a user's
        number as if it were the benchmark's.

        Parameters
        ----------
        **values : float
            ``rule_id=value`` pairs.

        Returns
        -------
        Playbook

        Raises
        ------
        InputError
            On an unknown id, a value that is not a finite number, or one outside the rule's
            valid range.
        """
        rules = dict(self.rules)
        for rule_id, raw in values.items():
            if rule_id not in rules:
                raise InputError(_unknown_id_message(rule_id, rules))
            old = rules[rule_id]
            number = old.checked(_as_number(raw, rule_id))
            if number != old.value:
                rules[rule_id] = dataclasses.replace(
                    old,
                    value=number,
                    source=f"set by user (default {_fmt(old.value)}: {old.source})",
                )
        return Playbook(rules)

    def to_frame(self) -> pd.DataFrame:
        """Return the rules as a table for the README, the app and the Excel export.

        Returns
        -------
        pandas.DataFrame
            One row per rule, in playbook order, with columns ``id, label, value, unit, source,
            confidence`` then ``confidence_label`` (the tag in words), ``low_confidence``
            (True for LC rules: the app shows them as defaults to check, never as facts) and
            ``valid_range`` (the values the rule may take, e.g. ``(0, 1]``).
        """
        frame = pd.DataFrame(
            [
                {
                    "id": r.id,
                    "label": r.label,
                    "value": r.value,
                    "unit": r.unit,
                    "source": r.source,
                    "confidence": r.confidence,
                }
                for r in self.rules.values()
            ],
            columns=list(FRAME_COLUMNS[:6]),
        )
        frame["confidence_label"] = frame["confidence"].map(CONFIDENCE_TAGS).astype("string")
        frame["low_confidence"] = (frame["confidence"] == "LC").astype(bool)
        ranges = [str(r.valid) for r in self.rules.values()]
        frame["valid_range"] = pd.Series(ranges, dtype="string")
        return frame[list(FRAME_COLUMNS)]

    def to_markdown(self) -> str:
        """Return the rules as the Markdown table the README shows between its playbook markers.

        Returns
        -------
        str
            A pipe table with columns id, what it sets, value, unit, valid range, source and
            confidence, one row per rule in playbook order, ending with a newline. Low-confidence
            values are marked so a reader never takes them for a benchmark.
        """
        lines = [
            "| id | what it sets | value | unit | valid range | source | confidence |",
            "|---|---|---:|---|---|---|---|",
        ]
        for r in self.rules.values():
            value = _fmt(r.value)
            # LC numbers are our own calibration; mark them where the eye lands, on the value.
            shown = f"{value} ⚠" if r.confidence == "LC" else value
            cells = (f"`{r.id}`", r.label, shown, r.unit, str(r.valid), r.source, r.confidence)
            lines.append("| " + " | ".join(_md_cell(c) for c in cells) + " |")
        lines.append("")
        lines.append(
            "⚠ low confidence (LC): our own calibration or an assumption — check it against your data."
        )
        lines.append("")
        lines.append(
            "Valid range: `(0, 1]` is above 0 and at most 1, `[1, ∞)` at least 1; "
            "a value outside it is refused."
        )
        return "\n".join(lines) + "\n"


FRAME_COLUMNS: tuple[str, ...] = (
    "id",
    "label",
    "value",
    "unit",
    "source",
    "confidence",
    "confidence_label",
    "low_confidence",
    "valid_range",
)
"""Columns of :meth:`Playbook.to_frame`."""


def load_playbook(path: Any = None, overrides: dict[str, float] | None = None) -> Playbook:
    """Load the shipped playbook, optionally overridden by a user file and by values.

    Parameters
    ----------
    path : str, Path, bytes or None
        ``None`` loads only the shipped ``playbook.toml``. Otherwise a user TOML file (path or its
        bytes) whose rules override the shipped ones; it may name only some ids. Each rule may be
        a table with at least ``value`` (``[rules.quota_field] value = 900000``) or a bare number
        (``[rules] quota_field = 900000``).
    overrides : dict of str to float, optional
        Values applied last (e.g. from the app's controls).

    Returns
    -------
    Playbook

    Raises
    ------
    InputError
        If the file cannot be read or parsed, names an unknown id, or holds a non-number or a
        value outside its rule's valid range (the message names the rule, value and range).
    """
    text = resources.files("segmentation").joinpath("playbook.toml").read_text(encoding="utf-8")
    base = _parse_rules(tomllib.loads(text), shipped=True)
    playbook = Playbook(base)
    if path is not None:
        user = _read_user_toml(path)
        values: dict[str, float] = {}
        rules = dict(playbook.rules)
        for rule_id, entry in _user_entries(user).items():
            if rule_id not in rules:
                raise InputError(_unknown_id_message(rule_id, rules, where="in the playbook file"))
            if isinstance(entry, dict):
                if "value" not in entry:
                    raise InputError(
                        f"Rule '{rule_id}' in the playbook file has no 'value': "
                        f"write `value = <number>` under [rules.{rule_id}]."
                    )
                old = rules[rule_id]
                number = old.checked(_as_number(entry["value"], rule_id), "in the playbook file")
                # A user file may document its own source; otherwise say where the number came from.
                rules[rule_id] = dataclasses.replace(
                    old,
                    value=number,
                    source=str(entry.get("source", f"user playbook (default {_fmt(old.value)})")),
                    confidence=str(entry.get("confidence", "LC")).strip().upper() or "LC",
                )
            else:
                number = _as_number(entry, rule_id)
                values[rule_id] = rules[rule_id].checked(number, "in the playbook file")
        playbook = Playbook(rules).with_values(**values)
    if overrides:
        playbook = playbook.with_values(**overrides)
    return playbook


# --------------------------------------------------------------------------------------------
def _parse_rules(doc: dict, *, shipped: bool) -> dict[str, Rule]:
    table = doc.get("rules")
    if not isinstance(table, dict) or not table:
        raise InputError("The playbook has no [rules] table.")
    rules: dict[str, Rule] = {}
    for rule_id, entry in table.items():
        missing = [k for k in _REQUIRED_KEYS if k not in entry]
        if missing:
            # Only reachable for the shipped file: a broken default is a bug, said plainly.
            raise InputError(f"Playbook rule '{rule_id}' lacks {', '.join(missing)}.")
        confidence = str(entry["confidence"]).strip().upper()
        if confidence not in CONFIDENCE_TAGS:
            raise InputError(
                f"Playbook rule '{rule_id}' has confidence '{entry['confidence']}': "
                f"use one of {', '.join(CONFIDENCE_TAGS)}."
            )
        try:
            valid = Range.parse(entry["range"])
        except ValueError as exc:
            raise InputError(f"Playbook rule '{rule_id}' has a bad range: {exc}.") from None
        rule = Rule(
            id=rule_id,
            value=_as_number(entry["value"], rule_id),
            unit=str(entry["unit"]),
            label=str(entry["label"]),
            source=str(entry["source"]),
            confidence=confidence,
            valid=valid,
        )
        rule.checked(rule.value, "in the shipped playbook")  # a default outside its range is a bug
        rules[rule_id] = rule
    return rules


def _read_user_toml(path: Any) -> dict:
    if isinstance(path, (bytes, bytearray)):
        raw = bytes(path)
        name = "the uploaded playbook"
    else:
        p = Path(path)
        name = str(p)
        try:
            raw = p.read_bytes()
        except OSError as exc:
            raise InputError(
                f"Cannot read the playbook file {name}: {exc.strerror or exc}. Check the path."
            ) from None
    try:
        return tomllib.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise InputError(f"{name} is not UTF-8 text: save the playbook as UTF-8 TOML.") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(
            f"{name} is not valid TOML ({exc}). Copy the shipped playbook.toml and edit values only."
        ) from None


def _user_entries(doc: dict) -> dict[str, Any]:
    table = doc.get("rules")
    if not isinstance(table, dict):
        raise InputError(
            "The playbook file has no [rules] table: write e.g. `[rules.quota_field]` then `value = 900000`."
        )
    return table


def _as_number(raw: Any, rule_id: str) -> float:
    # bool is an int subclass; `true` for a threshold is almost certainly a mistake.
    if isinstance(raw, bool) or not isinstance(raw, (int, float)):
        try:
            number = float(str(raw).replace(",", "").strip()) if isinstance(raw, str) else None
        except ValueError:
            number = None
        if number is None:
            raise InputError(f"Rule '{rule_id}' must be a number, got {raw!r}.")
    else:
        number = float(raw)
    if not math.isfinite(number):
        raise InputError(f"Rule '{rule_id}' must be a finite number, got {raw!r}.")
    if number < 0:
        raise InputError(f"Rule '{rule_id}' cannot be negative (got {raw!r}).")
    return number


def _unknown_id_message(rule_id: str, rules: dict, where: str = "") -> str:
    import difflib

    close = difflib.get_close_matches(rule_id, list(rules), n=3)
    hint = (
        f" Did you mean {', '.join(close)}?" if close else " See the playbook table for valid ids."
    )
    return f"Unknown playbook rule '{rule_id}'{(' ' + where) if where else ''}.{hint}"


def _fmt(value: float) -> str:
    return f"{value:,.10g}"


def _md_cell(text: str) -> str:
    # A pipe would end the cell and a newline the row; neither may leak out of a rule's text.
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").strip()
