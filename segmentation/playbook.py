"""The coverage playbook: every threshold and rate the planner uses, with its source.

The shipped defaults live in ``playbook.toml`` next to this module. A user playbook (a TOML file
in the same shape, or a flat ``[rules]`` table of ``id = value``) and the app's controls override
only the ids they name; anything unknown is refused, so a typo never silently does nothing.
"""

from __future__ import annotations

import dataclasses
import math
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

_REQUIRED_KEYS = ("value", "unit", "label", "source", "confidence")


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
    """

    id: str
    value: float
    unit: str
    label: str
    source: str
    confidence: str


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
            On an unknown id or a value that is not a finite number.
        """
        rules = dict(self.rules)
        for rule_id, raw in values.items():
            if rule_id not in rules:
                raise InputError(_unknown_id_message(rule_id, rules))
            number = _as_number(raw, rule_id)
            old = rules[rule_id]
            if number != old.value:
                rules[rule_id] = dataclasses.replace(
                    old, value=number, source=f"set by user (default {_fmt(old.value)}: {old.source})"
                )
        return Playbook(rules)

    def to_frame(self) -> pd.DataFrame:
        """Return the rules as a table for the README, the app and the Excel export.

        Returns
        -------
        pandas.DataFrame
            One row per rule, in playbook order, with columns ``id, label, value, unit, source,
            confidence`` then ``confidence_label`` (the tag in words) and ``low_confidence``
            (True for LC rules: the app shows them as defaults to check, never as facts).
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
        return frame[list(FRAME_COLUMNS)]

    def to_markdown(self) -> str:
        """Return the rules as the Markdown table the README shows between its playbook markers.

        Returns
        -------
        str
            A pipe table with columns id, what it sets, value, unit, source and confidence, one
            row per rule in playbook order, ending with a newline. Low-confidence values are
            marked so a reader never takes them for a benchmark.
        """
        lines = [
            "| id | what it sets | value | unit | source | confidence |",
            "|---|---|---:|---|---|---|",
        ]
        for r in self.rules.values():
            value = _fmt(r.value)
            # LC numbers are our own calibration; mark them where the eye lands, on the value.
            shown = f"{value} ⚠" if r.confidence == "LC" else value
            cells = (f"`{r.id}`", r.label, shown, r.unit, r.source, r.confidence)
            lines.append("| " + " | ".join(_md_cell(c) for c in cells) + " |")
        lines.append("")
        lines.append("⚠ low confidence (LC): our own calibration or an assumption — check it against your data.")
        return "\n".join(lines) + "\n"


FRAME_COLUMNS: tuple[str, ...] = (
    "id", "label", "value", "unit", "source", "confidence", "confidence_label", "low_confidence",
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
        If the file cannot be read or parsed, names an unknown id, or holds a non-number.
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
                number = _as_number(entry["value"], rule_id)
                old = rules[rule_id]
                # A user file may document its own source; otherwise say where the number came from.
                rules[rule_id] = dataclasses.replace(
                    old,
                    value=number,
                    source=str(entry.get("source", f"user playbook (default {_fmt(old.value)})")),
                    confidence=str(entry.get("confidence", "LC")).strip().upper() or "LC",
                )
            else:
                values[rule_id] = _as_number(entry, rule_id)
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
        rules[rule_id] = Rule(
            id=rule_id,
            value=_as_number(entry["value"], rule_id),
            unit=str(entry["unit"]),
            label=str(entry["label"]),
            source=str(entry["source"]),
            confidence=confidence,
        )
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
            raise InputError(f"Cannot read the playbook file {name}: {exc.strerror or exc}. Check the path.") from None
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
    hint = f" Did you mean {', '.join(close)}?" if close else " See the playbook table for valid ids."
    return f"Unknown playbook rule '{rule_id}'{(' ' + where) if where else ''}.{hint}"


def _fmt(value: float) -> str:
    return f"{value:,.10g}"


def _md_cell(text: str) -> str:
    # A pipe would end the cell and a newline the row; neither may leak out of a rule's text.
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").strip()
