"""The ``sklearn-ser`` command line: demo, evaluate, train, predict and timeline.

One module per command: ``_demo`` (demo), ``_corpus`` (evaluate and
train), ``_predict`` (predict), ``_timeline`` (timeline); ``_common`` holds
the shared options, messages and pipeline construction.
"""

import argparse
import linecache
import os
import sys
import traceback

from .._compat import InvalidParameterError
from . import _corpus, _demo, _predict, _timeline
from ._common import CLIError

__all__ = ["build_parser", "main"]


def build_parser():
    """The argument parser of ``sklearn-ser``."""
    parser = argparse.ArgumentParser(
        prog="sklearn-ser",
        description="Speech emotion recognition with scikit-learn estimators: "
        "openSMILE LLDs, neutral normalisation and BiLSTM attention networks.",
        epilog="The network is that of G. Ramet, P. N. Garner, M. Baeriswyl and "
        "A. Lazaridis, \"Context-aware attention mechanism for speech emotion "
        "recognition,\" in Proc. IEEE Spoken Language Technology Workshop (SLT), "
        "Athens, Greece, 2018. Its poolings follow Zhou et al. (ACL 2016) and "
        "Yang et al. (NAACL-HLT 2016); the README gives the full references.",
    )
    from .. import __version__

    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for module in (_demo, _corpus, _predict, _timeline):
        module.add_parsers(sub)
    return parser


def main(argv=None):
    """Run the command line; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args) or 0
    except KeyboardInterrupt as exc:
        detail = f": {exc}" if str(exc) else ""
        print(f"sklearn-ser {args.command}: interrupted{detail}", file=sys.stderr)
        return 130
    except (CLIError, ValueError, TypeError, OSError) as exc:
        if not user_facing(exc):
            print(f"sklearn-ser {args.command}: unexpected {type(exc).__name__}; "
                  "this is a bug of sklearn-ser or of a library it uses, please "
                  "report it with the traceback below.", file=sys.stderr)
            raise
        lines = [line.rstrip() for line in str(exc).strip().splitlines()] or [repr(exc)]
        print(f"sklearn-ser {args.command}: error: {lines[0]}", file=sys.stderr)
        for line in lines[1:]:
            print(f"  {line.strip()}", file=sys.stderr)
        return 1


_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def user_facing(exc):
    """Whether ``exc`` is a message for the user rather than a bug.

    The command line's own :class:`CLIError`, an ``OSError`` (a file that
    is missing, unreadable or not writable), scikit-learn's parameter
    validation, and a ``ValueError`` or ``TypeError`` that the library
    raises itself: one whose innermost frame inside the package is a
    ``raise`` statement. Any other exception (e.g. a ``TypeError`` of an
    operation on a wrong value, inside the library or a dependency) is
    unexpected and keeps its traceback.
    """
    if isinstance(exc, (CLIError, OSError, InvalidParameterError)):
        return True
    frames = [frame for frame in traceback.extract_tb(exc.__traceback__)
              if os.path.abspath(frame.filename).startswith(_PACKAGE + os.sep)]
    if not frames:
        return False
    line = linecache.getline(frames[-1].filename, frames[-1].lineno)
    return line.lstrip().startswith("raise ")
