"""Command line: ``python -m segmentation run|inspect``.

A stable contract for scripts: exit 0 on success; on bad input exit 2 with one line on stderr
that starts with ``error:`` and says what to do — never a traceback, never a partial output.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from segmentation import __version__
from segmentation.errors import InputError

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
    """The argument parser for both commands."""
    parser = _Parser(
        prog="python -m segmentation",
        description="Segment a CRM accounts export and recommend how to cover it with a sales team.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    run = commands.add_parser("run", help="segment accounts, plan teams, write the output files")
    run.add_argument("accounts", help="accounts export: CSV, TSV or Excel")
    run.add_argument("--opportunities", metavar="FILE", help="opportunities (deals) export")
    run.add_argument("--reps", metavar="FILE", help="rep roster CSV: rep, team or motion+role")
    run.add_argument("--playbook", metavar="FILE", help="TOML file overriding playbook values")
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
        help="keep a column out of the customer-type features (repeatable)",
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
        "is_closed, close_date, created, product, deal) to a column of the opportunities file "
        "(repeatable)",
    )
    run.add_argument(
        "--excel-csv",
        action="store_true",
        help="write the CSVs with a UTF-8 byte-order mark so Excel shows accents and other "
        "non-ASCII names intact (default: plain UTF-8, as CRM importers expect)",
    )
    _add_reading_options(run)
    run.add_argument(
        "--out", default="segmentation-output", metavar="DIR", help="output folder"
    )

    inspect = commands.add_parser("inspect", help="show how a file is read and mapped")
    inspect.add_argument("accounts", help="accounts export: CSV, TSV or Excel")
    inspect.add_argument("--map", metavar="FIELD=COLUMN", action="append", default=[])
    inspect.add_argument("--json", action="store_true", help="print JSON for machines")
    _add_reading_options(inspect)
    return parser


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


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    try:
        args = build_parser().parse_args(argv)
        if args.command == "run":
            return _run(args)
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
            raise InputError(f"--map takes FIELD=COLUMN, e.g. --map annual_revenue='Revenue'; got {pair!r}")
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


def _run(args: argparse.Namespace) -> int:
    from segmentation.pipeline import run
    from segmentation.playbook import load_playbook
    from segmentation.territories import read_roster
    from segmentation.export import check_out_dir, write_outputs

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
    result = run(
        accounts,
        encoding=args.encoding,
        sheet=args.sheet,
        overrides=parse_map(args.map),
        ignore=args.ignore,
        n_types=args.k_types,
        seed=args.seed,
        playbook=playbook,
        roster=roster,
        opportunities=_existing(args.opportunities) if args.opportunities else None,
        min_vertical_accounts=args.min_vertical_size,
        min_vertical_share=args.min_vertical_share,
        opportunity_overrides=opp_map,
    )
    files = result.files(excel_csv=args.excel_csv)
    outputs = write_outputs(files, out)
    summary = result.report()
    verdict = summary["quality"].get("verdict")
    structure = "firmographic tiers" if verdict == "tiers" else f"{verdict} structure"
    print(
        f"Read {summary['rows_read']:,} accounts: {len(summary['verticals'])} verticals, "
        f"{len(summary['customer_types'])} customer types ({structure}), "
        f"{len(summary['teams'])} teams."
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
    for note in result.warnings:
        print(f"warning: {note}")
    for path in outputs.written:
        print(f"wrote {path}")
    for path in outputs.removed:
        print(f"removed {path} (written by an earlier run, not by this one)")
    for path in outputs.kept:
        print(
            f"warning: kept {path}: an earlier run wrote it and it has changed since; "
            "delete it if it is stale"
        )
    return 0


def _inspect(args: argparse.Namespace) -> int:
    from segmentation.pipeline import load_accounts

    loaded = load_accounts(
        _existing(args.accounts),
        encoding=args.encoding,
        sheet=args.sheet,
        overrides=parse_map(args.map),
    )
    report = {
        "read": loaded.read_info.to_dict(),
        "rows": int(len(loaded.accounts)),
        "mapping": loaded.mapping.to_dict(),
        "warnings": loaded.warnings,
        "changes": loaded.prepared.changes,
        "data_quality": loaded.quality,
    }
    if args.json:
        from segmentation.pipeline import report_json

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
        f"Rows: {report['rows']:,}  columns: {read.get('columns')}",
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
