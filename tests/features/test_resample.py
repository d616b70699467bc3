import numpy as np
import pytest
from scipy.signal import resample_poly

from sklearn_ser.features._resample import resample_blocks


@pytest.mark.parametrize("n, up, down, block", [
    (10_000, 160, 441, 1000), (144_000, 1, 3, 65536), (16_017, 2, 1, 4096),
    (401, 160, 441, 7), (100, 160, 1, 64), (50_000, 1, 6, 999)])
def test_blocks_give_the_samples_of_resample_poly(n, up, down, block):
    x = np.random.default_rng(n).uniform(-1, 1, n).astype(np.float32)
    blocks = list(resample_blocks(x, up, down, block=block))
    assert all(b.dtype == np.float32 and b.shape[0] <= block for b in blocks)
    np.testing.assert_allclose(np.concatenate(blocks), resample_poly(x, up, down),
                               atol=1e-6)
