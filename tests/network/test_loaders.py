"""Tests of sklearn_ser.network._loaders: input checks, datasets and length-bucketed loaders."""

import numpy as np
import pytest
import torch
from torch.utils.data import Subset

from sklearn_ser import SERClassifier
from sklearn_ser.network._loaders import (
    LengthBucketLoader,
    TrimLoader,
    collate_trim,
    make_dataset,
)

from .._common import SMALL_NET, toy_3d


def test_length_bucket_loader_batches():
    rng = np.random.default_rng(0)
    lengths = rng.integers(5, 60, size=100)
    x = np.zeros((100, 60, 1), dtype=np.float32)
    x[:, :, 0] = np.arange(100)[:, None]  # each frame holds its sample's index
    ds = make_dataset(x, lengths, np.zeros(100, dtype=np.int64))
    torch.manual_seed(0)
    loader = LengthBucketLoader(ds, batch_size=8)
    epochs = []
    for _ in range(2):
        batches = []
        for xb, _ in loader:
            index = xb["x"][:, 0, 0].long().numpy()
            assert xb["x"].shape[1] == lengths[index].max()  # cut to its longest
            np.testing.assert_array_equal(xb["lengths"].numpy(), lengths[index])
            batches.append(index)
        assert sorted(np.concatenate(batches).tolist()) == list(range(100))
        assert all(len(b) <= 8 for b in batches)
        epochs.append(batches)
    padded = sum(len(b) * lengths[b].max() for b in epochs[0])
    assert padded < 1.1 * lengths.sum()  # similar lengths share a batch
    assert [b.tolist() for b in epochs[0]] != [b.tolist() for b in epochs[1]]
    random = LengthBucketLoader(ds, batch_size=8, bucket=False)
    padded_random = sum(8 * lengths[xb["x"][:, 0, 0].long().numpy()].max()
                        for xb, _ in random)
    assert padded_random > 1.3 * lengths.sum()


def _per_sample_collate(batch):
    # Not ``collate_trim`` itself, so the loaders fetch sample by sample.
    return collate_trim(batch)


@pytest.mark.parametrize("labels", ["none", "int", "float", "str"])
@pytest.mark.parametrize("loader", [TrimLoader, LengthBucketLoader])
def test_gathered_batches_equal_per_sample_batches(labels, loader):
    rng = np.random.default_rng(0)
    lengths = rng.integers(3, 20, size=50)
    x = rng.normal(size=(50, 20, 3)).astype(np.float32)
    y = {"none": None, "int": np.arange(50) % 3, "float": rng.normal(size=50),
         "str": np.array(["ang", "sad"] * 25)}[labels]
    # A subset of a subset, as the validation split of a sorted dataset.
    ds = Subset(Subset(make_dataset(x, lengths, y), np.arange(50)[::-1]),
                np.arange(0, 40, 2))
    torch.manual_seed(0)
    gathered = list(loader(ds, batch_size=7))
    torch.manual_seed(0)
    per_sample = list(loader(ds, batch_size=7, collate_fn=_per_sample_collate))
    assert len(gathered) == len(per_sample) > 1
    for (xa, ya), (xb, yb) in zip(gathered, per_sample, strict=True):
        for key in ("x", "lengths"):
            assert xa[key].dtype == xb[key].dtype
            assert torch.equal(xa[key], xb[key])
        assert xa["x"].is_contiguous()
        if torch.is_tensor(yb):
            assert ya.dtype == yb.dtype and torch.equal(ya, yb)
        else:
            assert type(ya) is type(yb) and ya == yb


def test_classifier_predictions_do_not_depend_on_how_batches_are_gathered():
    X, y = toy_3d(n=48)
    gathered = SERClassifier(**SMALL_NET).fit(X, y)
    per_sample = SERClassifier(**SMALL_NET,
                               iterator_train__collate_fn=_per_sample_collate,
                               iterator_valid__collate_fn=_per_sample_collate).fit(X, y)
    np.testing.assert_array_equal(gathered.predict_proba(X),
                                  per_sample.predict_proba(X))
