"""Command line: ``python -m segmentation run|inspect|plans|compare|show``.

A stable contract for scripts: exit 0 on success; on bad input exit 2 with one line on stderr
that starts with ``error:`` and says what to do — never a traceback, never a partial output.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from segmentation import __version__
from segmentation.errors import InputError

if TYPE_CHECKING:
    from segmentation.run_result import Run

EXIT_INPUT = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, what shells report for a command stopped by Ctrl-C

SEED_MAX = 2**31 - 1
"""The largest seed: scikit-learn takes seeds up to 2**32 - 1, and the engine derives a few more
from it by adding small offsets (seed + 1, seed + 2, ... for its bootstrap refits)."""

TOP_FINDINGS = 5
"""Data-quality findings ``run`` prints after its summary line (all are in report.json)."""


class _Parser(argparse.ArgumentParser):
    # argparse prints usage plus "prog: error: ..."; the contract is one "error:" line.
    def error(self, message: str) -> None:  # type: ignore[override]
        raise InputError(f"{message} (see 'python -m segmentation {self.prog.split()[-1]} --help')")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every command."""
    parser = _Parser(
        prog="python -m segmentation",
        description="Segment a CRM accounts export and recommend how to cover it with a sales team.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    _add_run_command(commands)
    _add_inspect_command(commands)
    # Saved plans (issue 15): the commands that read the plan store.
    _add_plans_command(commands)
    _add_compare_command(commands)
    _add_show_command(commands)
    return parser


def _add_run_command(commands: argparse._SubParsersAction) -> None:
    run = commands.add_parser("run", help="segment accounts, plan teams, write the output files")
    _add_input_files(run)
    _add_segment_options(run)
    run.add_argument(
        "--excel-csv",
        action="store_true",
        help="write the CSVs with a UTF-8 byte-order mark so Excel shows accents and other "
        "non-ASCII names intact (default: plain UTF-8, as CRM importers expect)",
    )
    _add_reading_options(run)
    _add_meaning_options(run)
    run.add_argument("--out", default="segmentation-output", metavar="DIR", help="output folder")
    # Saved plans (issue 15): --save and where the plan store is.
    run.add_argument(
        "--save", metavar="NAME", help="also save the plan under NAME in the plan store"
    )
    _add_store_option(run)
    run.add_argument(
        "--replace", action="store_true", help="with --save: replace a saved plan of the same name"
    )


def _add_input_files(run: argparse.ArgumentParser) -> None:
    run.add_argument("accounts", help="accounts export: CSV, TSV or Excel")
    run.add_argument("--opportunities", metavar="FILE", help="opportunities (deals) export")
    run.add_argument("--reps", metavar="FILE", help="rep roster CSV: rep, team or motion+role")
    run.add_argument(
        "--market",
        metavar="FILE",
        help="market list (every company in the target regions): whitespace, penetration, plays",
    )
    run.add_argument(
        "--market-map",
        metavar="FIELD=COLUMN",
        action="append",
        default=[],
        help="map a canonical field to a column of the market file (repeatable)",
    )
    run.add_argument("--playbook", metavar="FILE", help="TOML file overriding playbook values")


def _add_segment_options(run: argparse.ArgumentParser) -> None:
    # How accounts become segments: column mappings, features, the number of types, verticals.
    run.add_argument(
        "--map",
        metavar="FIELD=COLUMN",
        action="append",
        default=[],
        help="map a canonical field to a column (repeatable)",
    )
    run.add_argument(
        "--ignore",
        metavar="COLUMN",
        action="append",
        default=[],
        help="keep a column or field out of the customer-type features; it stays in the plan "
        "(repeatable)",
    )
    run.add_argument(
        "--feature",
        metavar="COLUMN",
        action="append",
        default=[],
        help="add a numeric column to the customer-type features (off by default; repeatable)",
    )
    run.add_argument(
        "--k-types", type=_whole(1), metavar="N", help="fix the number of customer types"
    )
    run.add_argument(
        "--seed",
        type=_whole(0, SEED_MAX),
        default=0,
        help=f"random seed, 0 to {SEED_MAX} (default 0)",
    )
    run.add_argument(
        "--min-vertical-size",
        type=int,
        default=20,
        metavar="N",
        help="fold verticals with fewer than N accounts into Other (default 20; 0 keeps all)",
    )
    run.add_argument(
        "--min-vertical-share",
        type=float,
        default=0.02,
        metavar="SHARE",
        help="fold verticals under this share of accounts into Other (default 0.02; 0 keeps all)",
    )
    run.add_argument(
        "--opp-map",
        metavar="FIELD=COLUMN",
        action="append",
        default=[],
        help="map an opportunity field (account_id, account_name, amount, stage, is_won, "
        "is_closed, close_date, created, product, deal, competitor, loss_reason) to a column of "
        "the opportunities file (repeatable)",
    )


def _add_inspect_command(commands: argparse._SubParsersAction) -> None:
    inspect = commands.add_parser("inspect", help="show how a file is read and mapped")
    inspect.add_argument("accounts", help="accounts export: CSV, TSV or Excel")
    inspect.add_argument("--map", metavar="FIELD=COLUMN", action="append", default=[])
    inspect.add_argument("--json", action="store_true", help="print JSON for machines")
    _add_reading_options(inspect)
    _add_meaning_options(inspect)


def _add_plans_command(commands: argparse._SubParsersAction) -> None:
    plans = commands.add_parser("plans", help="list the saved plans")
    _add_store_option(plans)
    plans.add_argument("--json", action="store_true", help="print JSON for machines")


def _add_compare_command(commands: argparse._SubParsersAction) -> None:
    compare = commands.add_parser("compare", help="compare two saved plans (B against A)")
    compare.add_argument("a", metavar="A", help="the saved plan to compare from (the baseline)")
    compare.add_argument("b", metavar="B", help="the saved plan to compare with it")
    _add_store_option(compare)
    compare.add_argument(
        "--out", default="segmentation-compare", metavar="DIR",
        help="folder for compare.csv and compare.json (default segmentation-compare)",
    )  # fmt: skip


def _add_show_command(commands: argparse._SubParsersAction) -> None:
    show = commands.add_parser("show", help="write a saved plan's files, as its run wrote them")
    show.add_argument("name", metavar="NAME", help="the saved plan")
    _add_store_option(show)
    show.add_argument("--out", required=True, metavar="DIR", help="output folder")


def _whole(low: int, high: int | None = None):
    # argparse's int() takes -1 and 10**20 alike; the seed then fails deep in numpy with a
    # traceback. Checked here, a bad value is one "error:" line naming the flag and its range.
    allowed = f"from {low:,} to {high:,}" if high is not None else f"of {low:,} or more"

    def parse(text: str) -> int:
        try:
            number = int(text.strip())
        except ValueError:
            number = None
        if number is None or number < low or (high is not None and number > high):
            # argparse puts "argument --flag:" in front
            raise argparse.ArgumentTypeError(f"must be a whole number {allowed}, got {text!r}")
        return number

    return parse


def _add_reading_options(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--encoding",
        metavar="NAME",
        help="text encoding of the accounts file (default: BOM, then UTF-8, then cp1252)",
    )
    command.add_argument("--sheet", metavar="NAME", help="Excel sheet to read (default: the first)")


def _add_meaning_options(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--unit",
        metavar="FIELD=UNIT",
        action="append",
        default=[],
        help="scale and/or currency of a money field, over the detected one, e.g. "
        "--unit annual_revenue=1e6 (values in millions), --unit deal_size='1e3 EUR' (repeatable)",
    )
    command.add_argument(
        "--status",
        metavar="VALUE=STATUS",
        action="append",
        default=[],
        help="read a status value as customer, prospect, former, partner or other, e.g. "
        "--status 'Key Account=customer' (repeatable)",
    )


def _add_store_option(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--store",
        metavar="URL",
        help="plan store: a SQLite file or sqlite:///FILE, or postgresql+psycopg://USER@HOST/DB "
        "(default: $SEGMENTATION_STORE, else segmentation-plans.db here)",
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    try:
        args = build_parser().parse_args(argv)
        if args.command == "run":
            return _run(args)
        if args.command in ("plans", "compare", "show"):
            from segmentation.store import cli as plans_cli

            return getattr(plans_cli, args.command)(args)
        return _inspect(args)
    except InputError as error:
        print(f"error: {_one_line(str(error))}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        # The files are written to a private folder and moved into place only when complete,
        # with Ctrl-C held during the move: whenever it lands, no output is half written.
        print(
            "error: interrupted; no output file was left half written (run again for the full set)",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # Output piped into `head` and closed early: not an error of ours or the user's.
        sys.stderr.close()
        return 0


def parse_map(pairs: Sequence[str]) -> dict[str, str]:
    """Turn ``FIELD=COLUMN`` strings into a mapping override."""
    overrides = {}
    for pair in pairs:
        field_name, sep, column = pair.partition("=")
        if not sep or not field_name.strip() or not column.strip():
            raise InputError(
                f"--map takes FIELD=COLUMN, e.g. --map annual_revenue='Revenue'; got {pair!r}"
            )
        overrides[field_name.strip()] = column.strip()
    return overrides


def _parse_opp_map(pairs: Sequence[str]) -> dict[str, str]:
    # The same FIELD=COLUMN form as --map, with its own name and example in the error.
    for pair in pairs:
        field_name, sep, column = pair.partition("=")
        if not sep or not field_name.strip() or not column.strip():
            raise InputError(
                f"--opp-map takes FIELD=COLUMN, e.g. --opp-map amount=close_value; got {pair!r}"
            )
    return parse_map(pairs)


def parse_units(pairs: Sequence[str]) -> dict[str, tuple[float | None, str | None]]:
    """Turn ``FIELD=UNIT`` strings (``annual_revenue=1e6``, ``deal_size=1e3 EUR``) into unit overrides."""
    from segmentation.fields import MONEY_FIELDS
    from segmentation.numbers import parse_unit

    units: dict[str, tuple[float | None, str | None]] = {}
    for pair in pairs:
        field_name, sep, value = pair.partition("=")
        field_name = field_name.strip()
        if not sep or not field_name or not value.strip():
            raise InputError(
                f"--unit takes FIELD=UNIT, e.g. --unit annual_revenue=1e6; got {pair!r}"
            )
        if field_name not in MONEY_FIELDS:
            raise InputError(
                f"--unit {field_name}: units apply to money fields only ({', '.join(MONEY_FIELDS)})."
            )
        try:
            units[field_name] = parse_unit(value)
        except ValueError as error:
            raise InputError(f"--unit {pair}: {error}") from None
    return units


def parse_status(pairs: Sequence[str]) -> dict[str, str]:
    """Turn ``VALUE=STATUS`` strings into status overrides (the last ``=`` splits: values may hold one)."""
    from segmentation.fields import STATUSES

    values: dict[str, str] = {}
    for pair in pairs:
        value, sep, status = pair.rpartition("=")
        status = status.strip().casefold()
        if not sep or not value.strip() or status not in STATUSES:
            raise InputError(
                f"--status takes VALUE=STATUS with STATUS one of {', '.join(STATUSES)}, "
                f"e.g. --status 'Kunde=customer'; got {pair!r}"
            )
        values[value.strip()] = status
    return values


def _run(args: argparse.Namespace) -> int:
    from segmentation.export import check_out_dir, write_outputs
    from segmentation.pipeline import run
    from segmentation.playbook import load_playbook
    from segmentation.roster import read_roster

    if args.min_vertical_size < 0:
        raise InputError("--min-vertical-size must be a whole number of 0 or more")
    if not 0.0 <= args.min_vertical_share <= 1.0:
        raise InputError("--min-vertical-share must be between 0 and 1, e.g. 0.02 for 2%")
    accounts = _existing(args.accounts)
    out = check_out_dir(args.out)  # before the work: a folder we cannot write fails at once
    playbook = load_playbook(_existing(args.playbook)) if args.playbook else load_playbook()
    roster = read_roster(_existing(args.reps)) if args.reps else None
    opp_map = _parse_opp_map(args.opp_map)
    if opp_map and not args.opportunities:
        raise InputError(
            "--opp-map maps columns of the opportunities file; give that file with --opportunities"
        )
    store = None
    if args.save is not None or args.store or args.replace:
        from segmentation.store import cli as plans_cli

        # Before the work: a taken name or an unreachable store fails at once.
        store = plans_cli.check_save(args)
    market_map = parse_map(args.market_map)
    if market_map and not args.market:
        raise InputError("--market-map maps columns of the market file; give it with --market")
    result = run(
        accounts,
        encoding=args.encoding,
        sheet=args.sheet,
        overrides=parse_map(args.map),
        ignore=args.ignore,
        features=args.feature,
        n_types=args.k_types,
        seed=args.seed,
        playbook=playbook,
        roster=roster,
        opportunities=_existing(args.opportunities) if args.opportunities else None,
        min_vertical_accounts=args.min_vertical_size,
        min_vertical_share=args.min_vertical_share,
        opportunity_overrides=opp_map,
        units=parse_units(args.unit),
        status_values=parse_status(args.status),
        market=_existing(args.market) if args.market else None,
        market_overrides=market_map,
    )
    files = result.files(excel_csv=args.excel_csv)
    outputs = write_outputs(files, out)
    _print_run_summary(result)
    for path in outputs.written:
        print(f"wrote {path}")
    if store is not None:
        from segmentation.store import cli as plans_cli

        plans_cli.save_run(store, args, result, files)
    for path in outputs.removed:
        print(f"removed {path} (written by an earlier run, not by this one)")
    for path in outputs.kept:
        print(
            f"warning: kept {path}: an earlier run wrote it and it has changed since; "
            "delete it if it is stale"
        )
    return 0


def _print_run_summary(result: Run) -> None:
    # What a run found, in a few lines: counts, the market matching, the top data-quality
    # findings, the recommended reps' cost, then every warning.
    from segmentation.naming import format_money

    summary = result.report()
    verdict = summary["quality"].get("verdict")
    structure = "firmographic tiers" if verdict == "tiers" else f"{verdict} structure"
    print(
        f"Read {summary['rows_read']:,} accounts: {len(summary['verticals'])} verticals, "
        f"{len(summary['customer_types'])} customer types ({structure}), "
        f"{len(summary['teams'])} teams."
    )
    if summary.get("market"):
        m = summary["market"]["matching"]
        print(
            f"Market: {m['market_companies']:,} companies; {m['by_website'] + m['by_name']:,} "
            f"matched to CRM accounts ({m['by_website']:,} by website, {m['by_name']:,} by name), "
            f"{m['ambiguous']:,} ambiguous, {m['not_in_crm']:,} untouched."
        )
    # The findings `inspect` shows, so a run alone says what to fix in the CRM; the warnings
    # follow in full.
    findings = [f for f in summary["data_quality"].get("findings", []) if f not in result.warnings]
    if findings:
        shown = findings[:TOP_FINDINGS]
        more = f"top {len(shown)} of {len(findings)}; " if len(findings) > len(shown) else ""
        print(f"Data quality ({more}all in report.json under data_quality):")
        for note in shown:
            print(f"  - {note}")
    hc = summary.get("headcount") or {}
    if hc.get("total_bookings"):
        print(
            f"{hc['total_headcount']:,} reps recommended: {format_money(hc['total_cost'])} a year for "
            f"{format_money(hc['total_bookings'])} of bookings ({hc['cost_of_sales']:.0%} cost of sales)."
        )
    for note in result.warnings:
        print(f"warning: {note}")


def _inspect(args: argparse.Namespace) -> int:
    from segmentation import guidance
    from segmentation.pipeline import load_accounts

    loaded = load_accounts(
        _existing(args.accounts),
        encoding=args.encoding,
        sheet=args.sheet,
        overrides=parse_map(args.map),
        units=parse_units(args.unit),
        status_values=parse_status(args.status),
    )
    report = {
        "read": loaded.read_info.to_dict(),
        "rows_read": int(len(loaded.accounts)),
        "rows": int(len(loaded.accounts)),  # deprecated name of rows_read, kept for scripts
        "mapping": loaded.mapping.to_dict(),
        "mapping_checks": [
            note
            for note in [
                guidance.key_fields_alert(loaded.mapping),
                *guidance.mapping_doubts(loaded.raw, loaded.mapping, loaded.accounts),
            ]
            if note
        ],
        "units": loaded.prepared.units,
        "status": loaded.prepared.status,
        "warnings": loaded.warnings,
        "changes": loaded.prepared.changes,
        "data_quality": loaded.quality,
    }
    if args.json:
        from segmentation.json_report import report_json

        sys.stdout.write(report_json(report).decode("utf-8"))
        return 0
    print(_inspect_text(report))
    return 0


def _inspect_text(report: dict) -> str:
    read = report["read"]
    lines = [
        f"File: {read.get('source_name')}",
        f"Format: {read.get('format')}  encoding: {read.get('encoding')}  "
        f"delimiter: {json.dumps(read.get('delimiter'))}  sheet: {read.get('sheet')}",
        f"Rows: {report['rows_read']:,}  columns: {read.get('columns')}",
    ]
    if read.get("footer_rows_removed"):
        lines.append(f"Footer rows removed: {len(read['footer_rows_removed'])}")
    if read.get("blank_rows_removed"):
        lines.append(f"Blank rows removed: {read['blank_rows_removed']}")
    lines.append("")
    lines.append("Mapping (field <- column, confidence, evidence):")
    for field_name, match in report["mapping"].get("matches", {}).items():
        lines.append(
            f"  {field_name:<15} <- {match['column']!s:<28} {match['confidence']:.2f}  {match['evidence']}"
        )
    unmapped = report["mapping"].get("unmapped", [])
    if unmapped:
        lines.append(f"  not mapped: {', '.join(map(str, unmapped))}")
    for note in report.get("mapping_checks", []):
        lines.append(f"  check: {note}")
    units = {f: u for f, u in report.get("units", {}).items() if u.get("column") is not None}
    if units:
        lines.append("")
        lines.append("Units (field: multiplier, currency, evidence; change with --unit FIELD=1e6):")
        for field_name, unit in units.items():
            lines.append(
                f"  {field_name:<15} x{unit['multiplier']:<10,} {unit['currency'] or '?':<4} {unit['evidence']}"
            )
    status = report.get("status") or {}
    if status.get("values"):
        lines.append("")
        lines.append(f"Status values in {status['column']!r} (change with --status VALUE=STATUS):")
        for entry in status["values"][:20]:
            lines.append(
                f"  {entry['value']!s:<28} {entry['count']:>8,}  -> {entry['status']:<9} ({entry['how']})"
            )
        more = len(status["values"]) - 20 + status.get("values_not_shown", 0)
        if more > 0:
            lines.append(f"  ... and {more:,} more values")
    findings = report["data_quality"].get("findings", [])
    if findings or report["warnings"]:
        lines.append("")
        lines.append("Data quality:")
        for note in [*report["warnings"], *findings]:
            lines.append(f"  - {note}")
    return "\n".join(lines)


def _existing(path: str) -> Path:
    candidate = Path(path)
    if not candidate.is_file():
        raise InputError(f"cannot find the file {path!r}; check the path")
    return candidate


def _one_line(message: str) -> str:
    return " ".join(message.split())
