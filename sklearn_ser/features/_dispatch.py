"""What the extractors share around the extraction itself.

The audio column of a DataFrame ``X``, the split of the inputs into
contiguous chunks of similar size for joblib workers, whether the caller
runs inside a Dask task, and the one error that names every bad input of a
call.
"""

import os
import sys

import numpy as np

from .._validation import AUDIO_COLUMNS, FRAMES_COLUMN

__all__ = ["audio_column_of", "chunk_bounds", "collect", "in_dask_task",
           "item_weight"]


def audio_column_of(X, audio_column):
    """The column of the DataFrame ``X`` that holds the audio.

    Parameters
    ----------
    X : DataFrame
        The input of an extractor.
    audio_column : str or None
        The column the user named; None takes ``"audio"`` or else ``"file"``.

    Returns
    -------
    column : str

    Raises
    ------
    ValueError
        If the column is missing, or ``X`` already has the output column.
    """
    columns = list(X.columns)
    if FRAMES_COLUMN in columns:
        raise ValueError(
            f"X already has an {FRAMES_COLUMN!r} column, the name of the "
            "column the extractor writes; rename it."
        )
    if audio_column is not None:
        if audio_column not in columns:
            raise ValueError(
                f"X has no column audio_column={audio_column!r} (columns: "
                f"{columns[:10]})."
            )
        return audio_column
    found = [c for c in AUDIO_COLUMNS if c in columns]
    if not found:
        raise ValueError(
            f"X is a DataFrame without an 'audio' or 'file' column (columns: "
            f"{columns[:10]}); put the audio paths or waveforms in one of them, "
            "or name the column with audio_column."
        )
    return found[0]


def in_dask_task():
    """Whether the calling code runs inside a task on a Dask worker."""
    distributed = sys.modules.get("distributed")
    if distributed is None:  # never imported: not on a worker
        return False
    try:
        distributed.get_worker()
    except ValueError:
        return False
    return True


def chunk_bounds(weights, n_chunks):
    """Split ``range(len(weights))`` into contiguous chunks of similar weight.

    Examples
    --------
    >>> from sklearn_ser.features._dispatch import chunk_bounds
    >>> chunk_bounds([1, 1, 1, 1], 2)
    [(0, 2), (2, 4)]
    """
    n = len(weights)
    n_chunks = max(1, min(n_chunks, n))
    w = np.asarray(weights, dtype=np.float64) + 1.0  # never zero
    cum = np.cumsum(w)
    targets = cum[-1] * np.arange(1, n_chunks) / n_chunks
    cuts = np.searchsorted(cum, targets, side="left") + 1
    bounds = np.unique(np.concatenate([[0], np.clip(cuts, 1, n - 1), [n]]))
    return list(zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True))


def item_weight(item):
    """Bytes of an input item of ``check_input`` (an array's or a file's)."""
    _, kind, payload, _ = item
    if kind == "array":
        return payload.nbytes
    try:
        return os.stat(payload).st_size
    except OSError:
        return 0


def collect(items, results, memory):
    """The entries of ``results``, or one error naming every bad input.

    Parameters
    ----------
    items : list
        The checked inputs.
    results : list of tuple
        ``("ok", entry)``, ``("bad", message)`` (an unusable input) or
        ``("fail", message)`` (the extraction failed) per input.
    memory : joblib.Memory or None
        The cache of the call (the message says the good inputs are kept).

    Returns
    -------
    entries : list

    Raises
    ------
    ValueError
        If an input was bad: every bad input and failure in one message.
    RuntimeError
        If the extraction failed on an input.
    """
    bad = [msg for status, msg in results if status == "bad"]
    failed = [msg for status, msg in results if status == "fail"]
    if bad:
        n_ok = sum(status == "ok" for status, _ in results)
        kept = ("; they are cached, so a new call extracts only the fixed "
                "ones" if memory is not None else "")
        head = (f"{len(bad)} of {len(items)} inputs could not be used "
                f"({n_ok} others were extracted{kept}):\n  ")
        raise ValueError(head + "\n  ".join(bad + failed))
    if failed:
        raise RuntimeError("\n".join(failed))
    return [entry for _, entry in results]
