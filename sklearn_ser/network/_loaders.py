"""The data side of SERClassifier: input checks, datasets and loaders.

A sample is a NaN-padded ``(T, d)`` frame sequence; the network gets it
zero-filled, with its number of valid frames (``{"x": frames, "lengths":
n_valid}``). Batches are cut to their longest sample, and training batches
group samples of similar length, so the padding costs almost no time.

The loaders gather each batch of a dataset of :func:`make_dataset` (or a
subset of one) with one indexing of its arrays, without a Python step per
sample; the batch holds the same values as the one that
:func:`collate_trim` stacks from the samples.
"""

import numpy as np
import torch
from skorch.dataset import Dataset
from torch.utils.data import DataLoader, Sampler, Subset, default_collate

from .._validation import check_3d_array

__all__ = ["LengthBucketLoader", "TrimLoader"]


def prepare_input(X, n_features=None):
    """Validate NaN-padded ``(n, T, d)`` input; zero-filled copy and lengths.

    A frame is padding when all its values are NaN. Padding must come after
    the valid frames of a sample (as :class:`~sklearn_ser.PadCrop` writes
    it); valid frames must be finite.
    """
    X = check_3d_array(X, dtype=np.float32, estimator="SERClassifier")
    n, n_frames, d = X.shape
    if n_features is not None and d != n_features:
        raise ValueError(
            f"X has {d} features per frame, but SERClassifier is expecting "
            f"{n_features} features as input."
        )
    nan = np.isnan(X)
    valid = ~nan.all(axis=2)
    has_valid = valid.any(axis=1)
    if not has_valid.all():
        bad = np.flatnonzero(~has_valid)
        raise ValueError(
            f"Sample {bad[0]} of X is all padding (every frame is NaN)"
            + (f"; {bad.size} such samples in all, indices {bad[:10].tolist()}"
               if bad.size > 1 else "")
            + ". Every sample needs at least one valid frame; drop empty "
            "utterances before fitting or predicting."
        )
    lengths = n_frames - np.argmax(valid[:, ::-1], axis=1)
    inside = np.arange(n_frames) < lengths[:, None]
    holes = inside & ~valid
    if holes.any():
        i, t = np.argwhere(holes)[0]
        raise ValueError(
            f"Sample {i} of X has an all-NaN frame at frame {t}, before its last "
            f"valid frame {lengths[i] - 1}. NaN frames mark padding and must come "
            "after the valid frames (as sklearn_ser.PadCrop writes them)."
        )
    partial = inside & nan.any(axis=2)
    if partial.any():
        i, t = np.argwhere(partial)[0]
        raise ValueError(
            f"Sample {i} of X has non-finite values at valid frame {t} (some, but "
            "not all, of its features are NaN). Valid frames must be finite; only "
            "whole padding frames may be NaN."
        )
    Xz = np.where(inside[:, :, None], X, np.float32(0.0))
    return Xz, lengths.astype(np.int64)


def make_dataset(Xz, lengths, y=None):
    """The skorch dataset of zero-filled frames ``Xz`` and their ``lengths``."""
    return Dataset({"x": Xz, "lengths": lengths}, y)


def dataset_lengths(dataset):
    """Lengths of the samples of a (subset of a) dataset of :func:`make_dataset`."""
    if isinstance(dataset, Subset):
        return dataset_lengths(dataset.dataset)[np.asarray(dataset.indices)]
    X = getattr(dataset, "X", None)
    if isinstance(X, dict) and "lengths" in X:
        return np.asarray(X["lengths"])
    return np.array([int(dataset[i][0]["lengths"]) for i in range(len(dataset))])


def split_datasets(dataset, valid_indices):
    """Training and validation subsets of ``dataset`` (None if no validation).

    The validation samples are sorted by length, so that their batches hold
    samples of similar length.
    """
    if valid_indices.size == 0:
        return dataset, None
    keep = np.ones(len(dataset), dtype=bool)
    keep[valid_indices] = False
    lengths = dataset_lengths(dataset)
    valid = valid_indices[np.argsort(lengths[valid_indices], kind="stable")]
    return Subset(dataset, np.flatnonzero(keep)), Subset(dataset, valid)


def sorted_dataset(Xz, lengths):
    """The samples of ``Xz`` in order of length, and that order."""
    order = np.argsort(lengths, kind="stable")
    return Subset(make_dataset(Xz, lengths), order), order


class _GatheredBatch:
    """A batch taken from the arrays of a dataset at once (see ``_ArrayBatches``)."""

    __slots__ = ("x", "lengths", "y")

    def __init__(self, x, lengths, y):
        self.x, self.lengths, self.y = x, lengths, y


def _array_source(dataset):
    """The arrays and sample indices behind ``dataset``, or None.

    ``dataset`` qualifies when it is a skorch dataset of :func:`make_dataset`
    (NumPy arrays ``x`` and ``lengths``, labels None or a NumPy array, the
    stock ``transform``), or a chain of :class:`~torch.utils.data.Subset` of
    one.
    """
    indices = None
    while isinstance(dataset, Subset):
        step = np.asarray(dataset.indices)
        indices = step if indices is None else step[indices]
        dataset = dataset.dataset
    if type(dataset) is not Dataset:
        return None
    X, y = dataset.X, dataset.y
    if not (isinstance(X, dict) and set(X) == {"x", "lengths"}
            and isinstance(X["x"], np.ndarray) and X["x"].ndim == 3
            and isinstance(X["lengths"], np.ndarray)
            and (y is None or isinstance(y, np.ndarray))):
        return None
    return X["x"], X["lengths"], y, indices


class _ArrayBatches(torch.utils.data.Dataset):
    """View of a dataset of :func:`make_dataset` that hands out whole batches.

    ``__getitems__`` (which :class:`~torch.utils.data.DataLoader` calls with
    the indices of a batch) gathers the batch with one fancy indexing of the
    arrays, cut to its longest sample; ``__getitem__`` still gives single
    samples of the wrapped dataset.
    """

    def __init__(self, dataset, source):
        self.dataset = dataset
        self.x, self.lengths, self.y, self.indices = source

    def __len__(self):
        return len(self.dataset)

    def __getitem__(self, i):
        return self.dataset[i]

    def __getitems__(self, indices):
        index = np.asarray(indices, dtype=np.int64)
        if self.indices is not None:
            index = self.indices[index]
        lengths = self.lengths[index].astype(np.int64)
        x = self.x[index, : int(lengths.max())]
        y = None if self.y is None else self.y[index]
        return _GatheredBatch(x, lengths, y)


def _batch_view(dataset, collate_fn):
    """``dataset`` wrapped to gather whole batches, when ``collate_trim`` collates."""
    if collate_fn is not collate_trim:
        return dataset
    source = _array_source(dataset)
    return dataset if source is None else _ArrayBatches(dataset, source)


def collate_trim(batch):
    """Stack a batch and cut it to the length of its longest sample."""
    if isinstance(batch, _GatheredBatch):
        n = len(batch.lengths)
        # The labels as default_collate builds them from skorch's samples (a
        # placeholder 0 per sample when there are none).
        y = (torch.zeros((n, 1)) if batch.y is None
             else torch.from_numpy(np.ascontiguousarray(batch.y))
             if batch.y.dtype.kind in "biuf" else default_collate(tuple(batch.y)))
        return (
            {"x": torch.from_numpy(np.ascontiguousarray(batch.x)),
             "lengths": torch.from_numpy(batch.lengths)},
            y,
        )
    xs, ys = zip(*batch, strict=True)
    lengths = np.array([int(x["lengths"]) for x in xs], dtype=np.int64)
    n_frames = int(lengths.max())
    x = np.stack([np.asarray(x["x"])[:n_frames] for x in xs])
    return (
        {"x": torch.from_numpy(x), "lengths": torch.from_numpy(lengths)},
        default_collate(ys),
    )


class _LengthBucketSampler(Sampler):
    """Batches of samples of similar length.

    Each epoch, the samples are sorted by length (ties in random order), cut
    into batches at a random offset, and the batches are shuffled. Draws from
    torch's global random number generator.
    """

    def __init__(self, lengths, batch_size, shuffle=True, bucket=True):
        self.lengths = np.asarray(lengths)
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.bucket = bucket
        self._batches = None

    def _make_batches(self):
        n, size = len(self.lengths), self.batch_size
        order = torch.randperm(n).numpy() if self.shuffle else np.arange(n)
        offset = 0
        if self.bucket:
            order = order[np.argsort(self.lengths[order], kind="stable")]
            if self.shuffle and n > size:
                offset = int(torch.randint(size, ()).item())
        cuts = ([offset] if offset else []) + list(range(offset + size, n, size))
        batches = [b.tolist() for b in np.split(order, cuts)]
        if self.shuffle and self.bucket:
            batches = [batches[i] for i in torch.randperm(len(batches)).tolist()]
        return batches

    def _plan(self):
        if self._batches is None:
            self._batches = self._make_batches()
        return self._batches

    def __len__(self):
        return len(self._plan())

    def __iter__(self):
        batches = self._plan()
        self._batches = None
        yield from batches


class LengthBucketLoader(DataLoader):
    """Training data loader: length-bucketed batches, cut to their longest sample.

    Parameters
    ----------
    dataset : torch Dataset
        Dataset whose items are ``({"x": frames, "lengths": n_valid}, y)``.
    batch_size : int, default=32
        Samples per batch.
    shuffle : bool, default=True
        Draw new batches every epoch. If False, batches follow the order of
        the dataset (sorted by length when ``bucket=True``).
    bucket : bool, default=True
        Group samples of similar length into the same batch (see Notes). If
        False, batches are drawn at random, as with a plain ``DataLoader``.
    **kwargs
        Other :class:`torch.utils.data.DataLoader` arguments (``num_workers``,
        ``pin_memory``, ...).

    Notes
    -----
    Each epoch the samples are sorted by length (ties in random order), cut
    into batches at a random offset and the batches are shuffled, so a batch
    holds utterances of similar length and is cut to its longest one. On an
    IEMOCAP-like length distribution this processes about 1.6 times fewer
    frames than padding every batch to 500 frames.

    Examples
    --------
    >>> import numpy as np
    >>> from skorch.dataset import Dataset
    >>> from sklearn_ser.network._loaders import LengthBucketLoader
    >>> lengths = np.array([2, 9, 3, 8])
    >>> ds = Dataset({"x": np.zeros((4, 10, 1), np.float32), "lengths": lengths})
    >>> loader = LengthBucketLoader(ds, batch_size=2, shuffle=False)
    >>> [tuple(x["x"].shape) for x, _ in loader]
    [(2, 3, 1), (2, 9, 1)]
    """

    def __init__(self, dataset, batch_size=32, shuffle=True, bucket=True, **kwargs):
        kwargs.setdefault("collate_fn", collate_trim)
        sampler = _LengthBucketSampler(
            dataset_lengths(dataset), batch_size, shuffle=shuffle, bucket=bucket
        )
        super().__init__(_batch_view(dataset, kwargs["collate_fn"]),
                         batch_sampler=sampler, **kwargs)


class TrimLoader(DataLoader):
    """Evaluation data loader: batches in dataset order, cut to their longest sample.

    Parameters
    ----------
    dataset : torch Dataset
        Dataset whose items are ``({"x": frames, "lengths": n_valid}, y)``.
    batch_size : int, default=32
        Samples per batch.
    **kwargs
        Other :class:`torch.utils.data.DataLoader` arguments.

    Examples
    --------
    >>> import numpy as np
    >>> from skorch.dataset import Dataset
    >>> from sklearn_ser.network._loaders import TrimLoader
    >>> ds = Dataset({"x": np.zeros((3, 10, 1), np.float32),
    ...               "lengths": np.array([2, 3, 7])})
    >>> [tuple(x["x"].shape) for x, _ in TrimLoader(ds, batch_size=2)]
    [(2, 3, 1), (1, 7, 1)]
    """

    def __init__(self, dataset, batch_size=32, **kwargs):
        kwargs.setdefault("collate_fn", collate_trim)
        # An own generator: evaluation leaves torch's global random state alone.
        kwargs.setdefault("generator", torch.Generator())
        super().__init__(_batch_view(dataset, kwargs["collate_fn"]),
                         batch_size=batch_size, **kwargs)

