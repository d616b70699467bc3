"""Resampling in blocks: ``resample_poly``'s output without its memory.

:func:`scipy.signal.resample_poly` filters the whole signal at once and
returns it in float64: for a 30-minute 48 kHz stereo file, the decoded
signal, its mix-down and the float64 output together peak at several times
the file's size. :func:`resample_blocks` computes the same samples a block
at a time.
"""

import numpy as np


def resample_blocks(x, up, down, block=1 << 16):
    """``scipy.signal.resample_poly(x, up, down)`` as float32 blocks.

    The same polyphase filter and the same output samples as
    ``resample_poly`` (default Kaiser window, zero padding), computed
    ``block`` output samples at a time with :func:`scipy.signal.upfirdn` on
    the input samples each block needs: the memory is that of ``x`` and one
    block, not of the whole resampled signal in float64.

    Parameters
    ----------
    x : ndarray of shape (n,)
        The signal.
    up, down : int
        Coprime resampling factors.
    block : int, default=65536
        Output samples per block.

    Yields
    ------
    block : ndarray of shape (<= block,), dtype float32

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.signal import resample_poly
    >>> from sklearn_ser.features._resample import resample_blocks
    >>> x = np.random.default_rng(0).normal(size=10000).astype(np.float32)
    >>> y = np.concatenate(list(resample_blocks(x, 160, 441, block=1000)))
    >>> bool(np.allclose(y, resample_poly(x, 160, 441), atol=1e-6))
    True
    """
    from scipy.signal import firwin, upfirdn

    n_in = x.shape[0]
    n_out = -(-n_in * up // down)
    max_rate = max(up, down)
    half_len = 10 * max_rate
    h = firwin(2 * half_len + 1, 1.0 / max_rate, window=("kaiser", 5.0)) * up
    n_pre_pad = down - half_len % down
    n_pre_remove = (half_len + n_pre_pad) // down
    h = np.concatenate((np.zeros(n_pre_pad), h))
    taps = h.shape[0]
    for m0 in range(0, n_out, block):
        m1 = min(m0 + block, n_out)
        k0, k1 = m0 + n_pre_remove, m1 + n_pre_remove  # rows of upfirdn's output
        lo = max(0, -(-(k0 * down - taps + 1) // up))
        hi = min(n_in, (k1 - 1) * down // up + 1)
        start = lo // down * down  # keeps upfirdn's phase: start * up % down == 0
        shift = start * up // down
        y = upfirdn(h, x[start:hi], up, down)[k0 - shift:k1 - shift]
        if y.shape[0] < m1 - m0:  # no input left: the filter's zero tail
            y = np.concatenate((y, np.zeros(m1 - m0 - y.shape[0])))
        yield y.astype(np.float32)
