"""Tests of sklearn_ser._loaders: input checks, datasets and length-bucketed loaders."""

import numpy as np
import torch

from sklearn_ser._loaders import LengthBucketLoader, make_dataset


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
