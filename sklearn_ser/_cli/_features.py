"""The features of a corpus, extracted once up front, and what they warn of."""

import contextlib
import sys
import tempfile
import time
import warnings

from ._common import say


def report_warnings(caught):
    """Print AudioWarnings in the command line's style; show the others as usual.

    Parameters
    ----------
    caught : list of warnings.WarningMessage
        What ``warnings.catch_warnings(record=True)`` recorded.
    """
    from ..features._notes import AudioWarning

    for w in caught:
        if issubclass(w.category, AudioWarning):
            say(f"warning: {w.message}", file=sys.stderr)
        else:
            warnings.showwarning(w.message, w.category, w.filename, w.lineno)


@contextlib.contextmanager
def audio_warnings_reported():
    """AudioWarnings raised inside are printed after it, one line each."""
    from ..features._notes import AudioWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", AudioWarning)
        yield
    report_warnings(caught)


@contextlib.contextmanager
def feature_cache(args):
    """``args.cache``, or a temporary feature cache removed at the end."""
    if args.cache is not None:
        yield args.cache
        return
    with tempfile.TemporaryDirectory(prefix="sklearn_ser_cache_") as tmp:
        args.cache = tmp
        try:
            yield tmp
        finally:
            args.cache = None


def extract_once(extractor, X, what="files"):
    """Extract the features of ``X`` into the extractor's cache, once.

    Every model and fold then reads them from the cache. An unreadable file
    stops the command here, before anything is trained; what the extractor
    notes of the audio (clipped, narrowband) is printed now, once, and the
    folds do not repeat it (see ``_interrupt.quiet_workers``).

    Parameters
    ----------
    extractor : LLDExtractor
        The extractor of the pipelines, with their cache (``memory``).
    X : list
        The audio of the corpus (paths or waveforms).
    what : str, default="files"
        The inputs, in words.
    """
    from sklearn.base import clone

    tty = sys.stderr.isatty()
    X = [str(x) if isinstance(x, str) else x for x in X]  # numpy strings as str
    say(f"Extracting the features of {len(X)} {what} (openSMILE, 32 LLDs per 10 ms "
        "frame)...")
    t0 = time.perf_counter()
    with audio_warnings_reported():
        clone(extractor).set_params(verbose=tty).transform(X)
    say(f"  features extracted in {time.perf_counter() - t0:.0f} s")
