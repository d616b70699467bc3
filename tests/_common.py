"""Settings and data shared by the test modules."""

import numpy as np

TINY_NET = dict(
    hidden_units=8,
    lstm_units=4,
    attention_units=4,
    lr=1e-2,
    l2=0.0,
    max_epochs=2,
    batch_size=8,
    random_state=0,
    device="cpu",
)
"""A tiny, fast SERClassifier configuration that still learns."""

SMALL_NET = dict(
    hidden_units=6,
    lstm_units=4,
    attention_units=3,
    lr=1e-2,
    l2=0.0,
    max_epochs=3,
    batch_size=8,
    random_state=0,
    device="cpu",
)
"""A smaller SERClassifier configuration for tests on 3-D toy data."""


def toy_3d(n=40, n_frames=12, n_features=3, seed=0, labels=("ang", "sad")):
    """NaN-padded 3-D data whose class shows in the first frames."""
    rng = np.random.default_rng(seed)
    y = np.array(list(labels) * (n // len(labels)))
    X = rng.normal(size=(n, n_frames, n_features)).astype(np.float32)
    X[y == labels[0], :3] += 1.5
    lengths = rng.integers(n_frames // 2, n_frames + 1, size=n)
    for i, length in enumerate(lengths):
        X[i, length:] = np.nan
    return X, y


def grouped_3d(n=64, n_groups=8):
    """Toy data of :func:`toy_3d` in ``n_groups`` groups of consecutive samples."""
    X, y = toy_3d(n=n, labels=("ang", "sad"))
    groups = np.repeat(np.arange(n_groups), n // n_groups)
    return X, y, groups
