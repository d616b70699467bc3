"""One way for every command to stop: SIGINT (Ctrl-C) and SIGTERM.

While a command runs, :func:`handling_signals` turns SIGINT and SIGTERM
into :class:`Interrupted` (a ``KeyboardInterrupt``) at once and remembers
the signal. Libraries may swallow that exception (skorch ends ``fit``
early on it and returns normally, keeping the weights so far), so the
command line asks :func:`check` at the points where it would go on as if
nothing had happened: at the end of every fit (the progress callback),
before writing a result, and once more when the command returns. The
command then stops with :class:`Interrupted`, writes nothing partial,
shuts down the worker processes of joblib (:func:`stop_workers`) and
exits with ``128 + the signal's number`` (130 for SIGINT, 143 for
SIGTERM), as a shell reports a program that the signal ended.
"""

import contextlib
import signal
import sys

__all__ = ["Interrupted", "check", "deferred", "handling_signals", "outcome",
           "quiet_workers", "stop_workers"]

#: The signals a command stops on, and how a message names them.
SIGNALS = {signal.SIGINT: "Ctrl-C", signal.SIGTERM: "SIGTERM"}


class Interrupted(KeyboardInterrupt):
    """A command stopped by a signal; ``detail`` says what was (not) written.

    Parameters
    ----------
    signum : int
        The signal (``signal.SIGINT`` or ``signal.SIGTERM``).
    detail : str, default=""
        What the interruption left behind, e.g. ``"no model was written"``.
    """

    def __init__(self, signum, detail=""):
        super().__init__(detail)
        self.signum = signum
        self.detail = detail

    @property
    def status(self):
        """The exit status: 128 + the signal's number."""
        return 128 + int(self.signum)

    @property
    def name(self):
        """The signal, in words."""
        return SIGNALS.get(self.signum, f"signal {int(self.signum)}")


class _State:
    """The signal received by the running command (None: none so far)."""

    signum = None
    deferring = False


_STATE = _State()


def received():
    """The signal received since the command started, or None."""
    return _STATE.signum


def check(detail=""):
    """Raise :class:`Interrupted` if SIGINT or SIGTERM arrived.

    Parameters
    ----------
    detail : str, default=""
        What the interruption leaves behind, for the message.
    """
    if _STATE.signum is not None:
        raise Interrupted(_STATE.signum, detail)


@contextlib.contextmanager
def outcome(detail):
    """Inside, an interruption becomes :class:`Interrupted` saying ``detail``.

    Parameters
    ----------
    detail : str
        What an interruption leaves behind, e.g. ``"no model was written"``;
        an :class:`Interrupted` that already says more keeps its own.
    """
    try:
        yield
    except KeyboardInterrupt as exc:
        if isinstance(exc, Interrupted) and exc.detail:
            raise
        signum = getattr(exc, "signum", None) or _STATE.signum or signal.SIGINT
        raise Interrupted(signum, detail) from None


def _handler(signum, frame):
    # A subclass, never KeyboardInterrupt itself: CPython remembers an exact
    # KeyboardInterrupt that leaves code run by PyRun_String (as extension
    # modules do on import), and ends the process with SIGINT at exit even
    # when the command caught it, losing the exit status.
    if _STATE.signum is None:
        _STATE.signum = signum
    if not _STATE.deferring:
        raise Interrupted(_STATE.signum)


@contextlib.contextmanager
def handling_signals():
    """SIGINT and SIGTERM raise :class:`Interrupted` and are remembered.

    The previous handlers are put back on exit. Outside the main thread
    (where Python cannot catch signals) nothing is installed.
    """
    _STATE.signum = None
    _STATE.deferring = False
    previous = {}
    for signum in SIGNALS:
        try:
            previous[signum] = signal.signal(signum, _handler)
        except ValueError:  # not the main thread
            break
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


@contextlib.contextmanager
def deferred():
    """Let a signal take effect only after the block (a file being written).

    A signal that arrives inside is remembered; :func:`check` reports it
    afterwards. The block itself is never cut short, so a result file is
    either whole or absent.
    """
    before = _STATE.deferring
    _STATE.deferring = True
    try:
        yield
    finally:
        _STATE.deferring = before


def stop_workers():
    """Shut down joblib's reusable process pool, killing its workers now.

    joblib keeps its worker processes alive for minutes after a parallel
    loop, waiting for the next one; a command that stops must not leave
    them behind.
    """
    module = sys.modules.get("joblib.externals.loky.reusable_executor")
    executor = getattr(module, "_executor", None)
    if executor is not None:
        with contextlib.suppress(Exception):
            executor.shutdown(wait=True, kill_workers=True)


def _quiet_worker():
    """Start-up of a worker process: no AudioWarning (the parent reported them)."""
    import warnings

    from ..features._notes import AudioWarning

    warnings.filterwarnings("ignore", category=AudioWarning)


@contextlib.contextmanager
def quiet_workers():
    """Parallel loops inside run on workers that do not repeat AudioWarnings.

    The commands extract the features of a corpus once, up front, and report
    what :class:`~sklearn_ser.AudioWarning` says of them then; the folds
    that follow read the same files again in this process (where the
    warnings are filtered too) or in joblib's worker processes, each of
    which would name the files once more.
    """
    import warnings

    import joblib

    from ..features._notes import AudioWarning

    with warnings.catch_warnings(), joblib.parallel_config(
            backend="loky", initializer=_quiet_worker):
        warnings.filterwarnings("ignore", category=AudioWarning)
        yield
