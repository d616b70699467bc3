"""The ``sklearn-ser`` command line: demo, evaluate, train, predict, timeline, info.

One module per command: ``_demo``, ``_evaluate``, ``_train``, ``_predict``,
``_timeline`` and ``_info``. Around them: the corpus options (``_data``),
the pipelines the commands build and what they are (``_models``), the
reports of an evaluation (``_report``), the progress of training
(``_progress``), the features extracted once (``_features``), safe output
(``_output``) and how every command stops on a signal (``_interrupt``);
``_common`` holds the shared options and checks.

Building the parser imports no heavy library: ``--help``, ``--version``
and argument errors answer at once, and each command imports what it needs
when it runs.

Exit status: 0 when the command did its work, 1 when it says why it did
not (one line ``sklearn-ser COMMAND: error: ...``), 2 for an argument
error, 130 or 143 when Ctrl-C (SIGINT) or SIGTERM stopped it (128 + the
signal's number), and 141 (128 + SIGPIPE) when the reader of its output
went away (``sklearn-ser timeline ... | head``): the command then stops
quietly, as the Unix tools that SIGPIPE ends do.
"""

import argparse
import errno
import os
import signal
import sys

from . import _demo, _evaluate, _info, _interrupt, _predict, _timeline, _train
from ._common import CLIError

__all__ = ["build_parser", "main"]

#: Exit status when the reader of the output went away: 128 + SIGPIPE.
BROKEN_PIPE = 141
#: The dependencies ``--version`` names (read from their metadata, not imported).
_DEPENDENCIES = ("scikit-learn", "torch", "skorch", "opensmile", "numpy", "scipy",
                 "pandas", "skops")


class _Version(argparse.Action):
    """``--version``: sklearn-ser, Python and the dependencies, without importing them."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, **kwargs):
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS,
                         help="print the versions of sklearn-ser, Python and the "
                         "libraries it uses, and exit")

    def __call__(self, parser, namespace, values, option_string=None):
        from importlib import metadata

        from .. import __version__

        found = []
        for name in _DEPENDENCIES:
            try:
                found.append(f"{name} {metadata.version(name)}")
            except metadata.PackageNotFoundError:
                found.append(f"{name} not installed")
        print(f"sklearn-ser {__version__}")
        print(f"Python {sys.version.split()[0]}; {', '.join(found)}")
        parser.exit()


class _Parser(argparse.ArgumentParser):
    """argparse's parser, except that ``--help`` into a closed pipe is not hidden.

    argparse ignores the errors of writing its help; the command line then
    exits with status 0 as if the help had been read. Here the
    ``BrokenPipeError`` reaches :func:`main`, which ends quietly with 141.
    """

    def print_help(self, file=None):
        (file or sys.stdout).write(self.format_help())


def build_parser():
    """The argument parser of ``sklearn-ser``."""
    parser = _Parser(
        prog="sklearn-ser",
        description="Speech emotion recognition with scikit-learn estimators: "
        "openSMILE LLDs, neutral normalisation and BiLSTM attention networks.",
        epilog="The network is that of G. Ramet, P. N. Garner, M. Baeriswyl and "
        "A. Lazaridis, \"Context-aware attention mechanism for speech emotion "
        "recognition,\" in Proc. IEEE Spoken Language Technology Workshop (SLT), "
        "Athens, Greece, 2018. Its poolings follow Zhou et al. (ACL 2016) and "
        "Yang et al. (NAACL-HLT 2016); the README gives the full references.",
    )
    parser.add_argument("--version", action=_Version)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for module in (_demo, _evaluate, _train, _predict, _timeline, _info):
        module.add_parsers(sub)
    return parser


def _quiet_stdout():
    """Send what is left of the output to /dev/null (the reader went away)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # not a real file (captured)
        pass


def _print_error(command, exc):
    """One line ``sklearn-ser COMMAND: error: ...`` (and its details)."""
    lines = [line.rstrip() for line in str(exc).strip().splitlines()] or [repr(exc)]
    lines = [_printable(line) for line in lines]
    print(f"sklearn-ser {command}: error: {lines[0]}", file=sys.stderr)
    for line in lines[1:]:
        print(f"  {line.strip()}", file=sys.stderr)


def _printable(line):
    """``line`` with control characters (terminal escapes) escaped."""
    return "".join(ch if ch.isprintable() or ch == "\t" else
                   f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}"
                   for ch in line)


def main(argv=None):
    """Run the command line; returns the exit status."""
    try:
        return _main(argv)
    except BrokenPipeError:
        _quiet_stdout()
        return BROKEN_PIPE
    except OSError as exc:
        if exc.errno != errno.EPIPE:
            raise
        _quiet_stdout()
        return BROKEN_PIPE


def _main(argv):
    try:
        args = build_parser().parse_args(argv)
    except SystemExit:  # --help, --version, an argument error
        sys.stdout.flush()  # a reader that went away shows here (argparse hides it)
        raise
    command = args.command
    try:
        with _interrupt.handling_signals():
            try:
                status = args.func(args) or 0
                _interrupt.check()  # a library swallowed the KeyboardInterrupt
                return status
            except BaseException:
                _interrupt.stop_workers()  # joblib's idle workers, at once
                raise
    except KeyboardInterrupt as exc:
        if not isinstance(exc, _interrupt.Interrupted):
            exc = _interrupt.Interrupted(_interrupt.received() or signal.SIGINT)
        detail = f": {exc.detail}" if exc.detail else ""
        print(f"sklearn-ser {command}: interrupted ({exc.name}){detail}",
              file=sys.stderr)
        return exc.status
    except BrokenPipeError:
        raise
    except (CLIError, ValueError, TypeError, OSError) as exc:
        if isinstance(exc, OSError) and exc.errno == errno.EPIPE:
            raise
        return _report_error(command, exc)


def _report_error(command, exc):
    if not user_facing(exc):
        print(f"sklearn-ser {command}: unexpected {type(exc).__name__}; "
              "this is a bug of sklearn-ser or of a library it uses, please "
              "report it with the traceback below.", file=sys.stderr)
        raise exc
    _print_error(command, exc)
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
    import linecache
    import traceback

    from .._compat import InvalidParameterError

    if isinstance(exc, (CLIError, OSError, InvalidParameterError)):
        return True
    frames = [frame for frame in traceback.extract_tb(exc.__traceback__)
              if os.path.abspath(frame.filename).startswith(_PACKAGE + os.sep)]
    if not frames:
        return False
    line = linecache.getline(frames[-1].filename, frames[-1].lineno)
    return line.lstrip().startswith("raise ")
