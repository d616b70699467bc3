import tracemalloc

import numpy as np
import pytest
from scipy.signal import resample_poly

from sklearn_ser.features._resample import resample_blocks, resample_stream


@pytest.mark.parametrize("n, up, down, block", [
    (10_000, 160, 441, 1000), (144_000, 1, 3, 65536), (16_017, 2, 1, 4096),
    (401, 160, 441, 7), (100, 160, 1, 64), (50_000, 1, 6, 999)])
def test_blocks_give_the_samples_of_resample_poly(n, up, down, block):
    x = np.random.default_rng(n).uniform(-1, 1, n).astype(np.float32)
    blocks = list(resample_blocks(x, up, down, block=block))
    assert all(b.dtype == np.float32 and b.shape[0] <= block for b in blocks)
    np.testing.assert_allclose(np.concatenate(blocks), resample_poly(x, up, down),
                               atol=1e-6)


@pytest.mark.parametrize("n, up, down, block, cuts", [
    (10_000, 160, 441, 1000, [7, 1000, 1001, 6000]),
    (144_000, 1, 3, 65536, list(range(0, 144_000, 65536))),
    (16_017, 2, 1, 4096, [1, 2, 3]),
    (401, 160, 441, 7, []),
    (50_000, 1, 6, 999, list(range(0, 50_000, 333)))])
def test_a_stream_gives_the_samples_of_the_whole_signal(n, up, down, block, cuts):
    x = np.random.default_rng(n).uniform(-1, 1, n).astype(np.float32)
    whole = np.concatenate(list(resample_blocks(x, up, down, block=block)))
    pieces = (p for p in np.split(x, cuts))  # a generator, as a decoder gives
    streamed = list(resample_stream(pieces, up, down, block=block))
    assert all(b.dtype == np.float32 and b.shape[0] <= block for b in streamed)
    np.testing.assert_array_equal(np.concatenate(streamed), whole)


def test_a_stream_keeps_only_what_the_next_block_needs():
    import scipy.signal  # noqa: F401 - imported before memory is traced

    n, piece = 9_000_000, 65536  # 34 MB of float32 input

    def pieces():
        for start in range(0, n, piece):
            yield np.full(min(piece, n - start), 0.5, np.float32)

    tracemalloc.start()
    try:
        total = sum(b.shape[0] for b in resample_stream(pieces(), 1, 3))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert total == n // 3
    assert peak < 8 * 2**20, peak / 2**20  # a few blocks, never the signal
