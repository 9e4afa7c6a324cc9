"""Command line: ``python -m audiowidget report NOTEBOOK.ipynb -o OUT.html [--execute]``.

Writes one self-contained HTML file (see :mod:`audiowidget.standalone`) that
plays every audiowidget panel of the notebook from ``file://`` with no
network, and prints its size beside the audio it embeds.

Examples:
    >>> import nbformat, tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> nbformat.write(nbformat.v4.new_notebook(), folder / "empty.ipynb")
    >>> main(["report", str(folder / "empty.ipynb"), "-o", str(folder / "empty.html")])
    ... # doctest: +ELLIPSIS
    wrote ...empty.html: ... MB, no audio
    0
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from .standalone import (
    ReportError,
    describe_overhead,
    execute_notebook,
    notebook_html,
    report_overhead,
)

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m audiowidget", description="audiowidget's command line tools."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    report = commands.add_parser(
        "report",
        help="write a notebook as one self-contained HTML file",
        description="Write NOTEBOOK as one HTML file that plays its audiowidget panels offline.",
    )
    report.add_argument("notebook", type=Path, help="the .ipynb file")
    report.add_argument(
        "-o", "--output", type=Path, help="the .html file to write (default: beside the notebook)"
    )
    report.add_argument(
        "--execute",
        action="store_true",
        help="run the notebook first (in its own folder), which saves its widget state",
    )
    report.add_argument(
        "--timeout",
        type=_seconds,
        default=600,
        help="seconds each cell may run with --execute (default 600)",
    )
    report.add_argument("--title", help="page title (default: the notebook's name)")
    report.add_argument("--theme", choices=["light", "dark"], default="light")
    report.add_argument(
        "--widget-assets",
        type=Path,
        help="node_modules folder with @jupyter-widgets/html-manager and requirejs, for "
        "other libraries' widgets (default: $AUDIOWIDGET_WIDGET_ASSETS, then ./node_modules)",
    )
    report.add_argument(
        "--other-widgets",
        choices=["auto", "embed", "note"],
        default="auto",
        help="other libraries' widgets: inline Jupyter's widget renderer if found, else a note "
        "(auto); require it (embed); always a note (note)",
    )
    return parser


def _seconds(text: str) -> int:
    """A positive whole number of seconds (nbclient reads 0 and -1 as no limit at all)."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a whole number of seconds above 0, not {text!r}")
    return value


def _report(args: argparse.Namespace) -> int:
    import nbformat

    source: Path = args.notebook
    if not source.is_file():
        print(f"error: no notebook at {source}", file=sys.stderr)
        return 2
    out: Path = args.output or source.with_suffix(".html")
    if out.suffix.lower() == ".ipynb" or (out.exists() and out.resolve() == source.resolve()):
        print(
            f"error: {out} would overwrite a notebook; write the report to a .html file",
            file=sys.stderr,
        )
        return 2
    if out.is_dir() or not out.parent.is_dir():
        print(
            f"error: cannot write {out}: "
            + ("it is a folder" if out.is_dir() else f"there is no folder {out.parent}")
            + "; give -o a file in an existing folder",
            file=sys.stderr,
        )
        return 2
    try:
        nb = nbformat.read(source, as_version=4)  # type: ignore[no-untyped-call]
    except OSError as e:
        print(f"error: cannot read {source}: {e.strerror or e}", file=sys.stderr)
        return 2
    except Exception as e:
        # text that is not JSON, or JSON that is not a notebook: nbformat raises ValueError,
        # jsonschema's ValidationError, TypeError, AttributeError, ...
        reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        print(f"error: {source} is not a notebook (.ipynb JSON): {reason}", file=sys.stderr)
        return 2
    if args.execute:
        execute_notebook(nb, source.resolve().parent, timeout=args.timeout)
    page, warnings = notebook_html(
        nb,
        title=args.title or nb.metadata.get("title") or source.stem,
        theme=args.theme,
        foreign=args.other_widgets,
        widget_assets=args.widget_assets,
    )
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    if not args.execute and code and not any(cell.get("outputs") for cell in code):
        warnings.append("the notebook has no outputs (never run?): add --execute to run it first")
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    out.write_text(page, encoding="utf-8")
    print(describe_overhead(out, report_overhead(out)))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        return _report(args)
    except ReportError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
