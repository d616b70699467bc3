"""The ``sklearn-ser`` command line: demo, evaluate, train, predict and timeline.

One module per command: ``_demo`` (demo), ``_corpus`` (evaluate and
train), ``_predict`` (predict), ``_timeline`` (timeline); ``_common`` holds
the shared options, messages and pipeline construction.
"""

import argparse
import sys

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
        lines = [line.rstrip() for line in str(exc).strip().splitlines()] or [repr(exc)]
        print(f"sklearn-ser {args.command}: error: {lines[0]}", file=sys.stderr)
        for line in lines[1:]:
            print(f"  {line.strip()}", file=sys.stderr)
        return 1
