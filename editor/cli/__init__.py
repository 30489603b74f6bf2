"""The ``cutwise`` command: every engine headless, for batch work.

Conventions shared by every subcommand:

* ``--json`` prints machine-readable results to stdout; progress bars go to stderr and
  ``--quiet`` hides them.
* Exit 0 on success; exit 2 with one readable line on stderr for bad input or usage
  (``--debug`` adds the traceback); exit 1 for an internal error; 130 when interrupted.
* An existing output file is never overwritten without ``--overwrite``.

Subcommands live in modules of this package, each with ``register(subparsers, common)``
that adds its parser and sets ``handler`` to a function ``(args) -> int``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
from pathlib import Path

from editor import __version__
from editor.core.errors import Cancelled, CutwiseError
from editor.core.files import describe_os_error
from editor.core.progress import ProgressCallback, no_progress

EXIT_OK, EXIT_INTERNAL, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130


class UsageError(CutwiseError):
    """Bad command-line usage; reported like bad input, on one line."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2, instead of argparse's usage dump
        raise UsageError(f"{message} (see '{self.prog} --help')")


def _common_options(default=False) -> argparse.ArgumentParser:
    """``--json``, ``--quiet``, ``--debug``: before or after the command's name. The
    command's copies default to argparse.SUPPRESS, so that they do not reset what was
    given before the name (``cutwise --json shots FILE``)."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true", default=default,
                        help="print results as JSON on stdout")
    common.add_argument("-q", "--quiet", action="store_true", default=default,
                        help="no progress bars on stderr")
    common.add_argument("--debug", action="store_true", default=default,
                        help="show tracebacks for errors")
    return common


def build_parser() -> argparse.ArgumentParser:
    from editor.cli import demo, export, highlights, matte, models, probe, reframe, shots

    parser = _Parser(prog="cutwise", parents=[_common_options()],
                     description="Cutwise: AI-assisted video editing, headless.")
    parser.add_argument("--version", action="version", version=f"cutwise {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    common = _common_options(default=argparse.SUPPRESS)
    for module in (probe, shots, highlights, demo, export, matte, models, reframe):
        module.register(subparsers, common)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    debug = "--debug" in argv
    try:
        args = build_parser().parse_args(argv)
        if args.command is None:
            raise UsageError("no command given (see 'cutwise --help')")
        return args.handler(args)
    except Cancelled:
        print("cutwise: cancelled", file=sys.stderr)
        return EXIT_INTERRUPTED
    except KeyboardInterrupt:
        print("cutwise: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except CutwiseError as exc:
        if debug:
            traceback.print_exc()
        print(f"cutwise: error: {exc.message}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:  # e.g. `cutwise probe x --json | head`
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except OSError as exc:  # the machine's, not ours: a full disk, a read-only folder
        if debug:
            traceback.print_exc()
        error = describe_os_error(exc, "use", exc.filename or "a file")
        print(f"cutwise: error: {error.message}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except Exception as exc:  # a bug: say so in one line, keep the details for --debug
        if debug:
            traceback.print_exc()
        print(f"cutwise: internal error: {type(exc).__name__}: {exc} "
              "(run again with --debug for details)", file=sys.stderr)
        return EXIT_INTERNAL


# --- helpers for subcommands -----------------------------------------------------------

def print_json(value) -> None:
    json.dump(value, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


def output_path(path: str | os.PathLike, overwrite: bool) -> Path:
    """Check an output path before any work is done: never clobber without consent."""
    path = Path(path)
    if path.exists() and not overwrite:
        raise UsageError(f"{path} already exists; pass --overwrite to replace it")
    if path.is_dir():
        raise UsageError(f"{path} is a folder, not a file")
    return path


class ProgressBar:
    """A tqdm bar on stderr, usable as a ProgressCallback; silent with --quiet or off a terminal."""

    def __init__(self, args: argparse.Namespace, description: str):
        self._bar = None
        if not args.quiet:
            from tqdm import tqdm

            self._bar = tqdm(desc=description, file=sys.stderr, unit="", leave=False, disable=None,
                             dynamic_ncols=True, mininterval=0.2)

    def __call__(self, done: int, total: int, message: str = "") -> None:
        if self._bar is None:
            return
        if total and self._bar.total != total:
            self._bar.total = total
        self._bar.n = done
        if message:
            self._bar.set_postfix_str(message, refresh=False)
        self._bar.refresh()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()

    def __enter__(self) -> ProgressCallback:
        return self if self._bar is not None else no_progress

    def __exit__(self, *exc) -> None:
        self.close()
