"""The extraction of LLDExtractor: work units for joblib workers, and the loop.

Each input is looked up in the feature cache (:mod:`._cache`), read
(:mod:`._audiofile`) and extracted by the openSMILE engine of the feature
set (:mod:`._opensmile`); the inputs run serially or in contiguous chunks
of similar size on joblib workers (:mod:`._dispatch`).
"""

import math

import joblib

from ._audio import BadInput, array_blocks, describe
from ._audiofile import open_audio
from ._cache import FeatureCache, cache_key, feature_set_digest
from ._dispatch import chunk_bounds, item_weight
from ._feature_sets import get_feature_set
from ._opensmile import engine

__all__ = ["extract_items"]


def _run_opensmile(blocks, sampling_rate, size_hint=0, feature_set="is09"):
    """Features of one validated signal: the dispatch's one call into openSMILE."""
    return engine(feature_set).extract(blocks, sampling_rate, size_hint)


def _process_item(item, sampling_rate, cache, feature_set="is09", bound=None):
    """One item: ("ok", (features, notes)), ("bad", message) or ("fail", ...)."""
    index, kind, payload, notes = item
    spec = get_feature_set(feature_set)
    digest = feature_set_digest(feature_set) if cache is not None else None
    key = None
    audio = None
    if kind == "path":
        label = describe(index, payload)
        try:
            audio, key, entry = open_audio(
                payload, label, sampling_rate, spec.window,
                bound, cache, digest)
        except BadInput as exc:
            return "bad", str(exc)
        if entry is not None:
            return "ok", entry
        blocks, size = audio.blocks(), audio.n
    else:
        label = describe(index)
        x = payload
        if cache is not None:
            key = cache_key("array", memoryview(x).cast("B"), x.shape, sampling_rate,
                            digest)
            entry = cache.load(key)
            if entry is not None:
                return "ok", (entry[0], notes)
        blocks, size = array_blocks(x), x.shape[0]
    try:
        feats = _run_opensmile(blocks, sampling_rate, size, feature_set)
    except BadInput as exc:  # the file changed while it was read
        return "bad", str(exc)
    except Exception as exc:
        return "fail", f"{label}: openSMILE failed ({type(exc).__name__}: {exc})."
    if audio is not None:
        notes = audio.notes
    if cache is not None:
        cache.store(key, feats, notes)
    return "ok", (feats, notes)


def _cache_of(memory, feature_set):
    if memory is None:
        return None
    return FeatureCache(memory, get_feature_set(feature_set).n_features)


def _process_chunk(items, sampling_rate, memory, feature_set="is09",
                   bound=None):
    """Work unit sent to a joblib worker: a contiguous chunk of items."""
    cache = _cache_of(memory, feature_set)
    return [_process_item(item, sampling_rate, cache, feature_set, bound)
            for item in items]


def extract_items(items, sampling_rate, memory, feature_set, bound, n_jobs,
                  n_workers, verbose=False):
    """The outcome of every checked input, in order.

    Parameters
    ----------
    items : list of tuple
        The inputs as :func:`~._audio.check_input` returns them.
    sampling_rate : int
        The rate features are computed at.
    memory : joblib.Memory or None
        The feature cache's store.
    feature_set : str
        The feature set.
    bound : DurationBound
        The longest file (its ``max_duration``).
    n_jobs : int or None
        joblib's ``n_jobs``.
    n_workers : int
        The workers that ``n_jobs`` gives (1: no joblib at all).
    verbose : bool or int, default=False
        Show a progress bar (tqdm).

    Returns
    -------
    results : list of tuple
        ``("ok", (features, notes))``, ``("bad", message)`` or ``("fail",
        message)`` per input (see :func:`~._dispatch.collect`).
    """
    from tqdm import tqdm

    bar = tqdm(total=len(items), desc="LLDExtractor", unit="file",
               disable=not verbose)
    results = []
    try:
        if n_workers == 1:
            cache = _cache_of(memory, feature_set)
            for item in items:
                results.append(_process_item(item, sampling_rate, cache,
                                             feature_set, bound))
                bar.update(1)
        else:
            weights = [item_weight(item) for item in items]
            n_chunks = max(4 * n_workers, math.ceil(sum(weights) / (16 * 2 ** 20)))
            tasks = (
                joblib.delayed(_process_chunk)(items[a:b], sampling_rate, memory,
                                               feature_set, bound)
                for a, b in chunk_bounds(weights, n_chunks)
            )
            parallel = joblib.Parallel(n_jobs=n_jobs, return_as="generator")
            for chunk in parallel(tasks):
                results.extend(chunk)
                bar.update(len(chunk))
    finally:
        bar.close()
    return results
