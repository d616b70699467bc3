"""Resampling in blocks: ``resample_poly``'s output without its memory.

:func:`scipy.signal.resample_poly` filters the whole signal at once and
returns it in float64: for a 30-minute 48 kHz stereo file, the decoded
signal, its mix-down and the float64 output together peak at several times
the file's size. :func:`resample_blocks` computes the same samples a block
at a time from a signal in memory, and :func:`resample_stream` from a
signal that arrives in blocks (a file being decoded), keeping only the
input that the next output block needs.
"""

import numpy as np

BLOCK = 1 << 16
"""Output samples per block."""


def _filter(up, down):
    """``resample_poly``'s polyphase filter, front-padded, and its delay."""
    from scipy.signal import firwin

    max_rate = max(up, down)
    half_len = 10 * max_rate
    h = firwin(2 * half_len + 1, 1.0 / max_rate, window=("kaiser", 5.0)) * up
    n_pre_pad = down - half_len % down
    n_pre_remove = (half_len + n_pre_pad) // down
    return np.concatenate((np.zeros(n_pre_pad), h)), n_pre_remove


class _Plan:
    """Which input samples each output block of ``resample_poly`` reads."""

    def __init__(self, up, down):
        self.up, self.down = up, down
        self.h, self.delay = _filter(up, down)

    def span(self, m0, m1):
        """``(start, need)``: output ``[m0, m1)`` reads input ``[start, need)``.

        ``start`` keeps the polyphase phase (``start * up % down == 0``);
        ``need`` is not capped at the signal's length.
        """
        up, down = self.up, self.down
        k0, k1 = m0 + self.delay, m1 + self.delay  # rows of upfirdn's output
        lo = max(0, -(-(k0 * down - self.h.shape[0] + 1) // up))
        return lo // down * down, (k1 - 1) * down // up + 1

    def block(self, x, start, m0, m1):
        """Output ``[m0, m1)`` from ``x``, the input from ``start`` on, as float32."""
        from scipy.signal import upfirdn

        shift = start * self.up // self.down
        k0 = m0 + self.delay
        y = upfirdn(self.h, x, self.up, self.down)[k0 - shift:k0 - shift + m1 - m0]
        if y.shape[0] < m1 - m0:  # no input left: the filter's zero tail
            y = np.concatenate((y, np.zeros(m1 - m0 - y.shape[0])))
        return y.astype(np.float32)


def n_resampled(n, up, down):
    """Length of ``resample_poly(x, up, down)`` for ``n`` input samples."""
    return -(-n * up // down)


def resample_blocks(x, up, down, block=BLOCK):
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
    plan = _Plan(up, down)
    n_in = x.shape[0]
    n_out = n_resampled(n_in, up, down)
    for m0 in range(0, n_out, block):
        m1 = min(m0 + block, n_out)
        start, need = plan.span(m0, m1)
        yield plan.block(x[start:min(n_in, need)], start, m0, m1)


class _Buffer:
    """The input of a stream from global index ``start`` on, appended in blocks."""

    def __init__(self):
        self.parts = []
        self.start = 0   # global index of the first kept sample
        self.end = 0     # samples received

    def append(self, x):
        if x.shape[0]:
            self.parts.append(x)
            self.end += x.shape[0]

    def take(self, start, stop):
        """Samples ``[start, stop)``; drops everything before ``start``."""
        if len(self.parts) == 1:
            x = self.parts[0]
        else:  # several blocks, or none at all
            x = np.concatenate(self.parts) if self.parts else np.empty(0, np.float32)
        x = x[start - self.start:]
        self.parts, self.start = [x], start
        return x[:stop - start]


def resample_stream(blocks, up, down, block=BLOCK):
    """:func:`resample_blocks` of a signal that arrives in blocks.

    Each output block is computed as soon as the input it needs has
    arrived, from exactly the input samples :func:`resample_blocks` gives
    it, so the output is bit for bit that of :func:`resample_blocks` on the
    whole signal (and that of ``resample_poly`` within float32 rounding).
    Only the input from the next output block's first sample on is kept:
    about ``block * down / up`` samples and the filter's length, whatever
    the signal's length. The end of ``blocks`` is the end of the signal,
    which sets the output length, ``ceil(n * up / down)``, and the
    filter's zero tail.

    Parameters
    ----------
    blocks : iterable of ndarray of shape (n_i,)
        The signal in consecutive blocks of any size, all of one dtype.
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
    >>> from sklearn_ser.features._resample import resample_blocks, resample_stream
    >>> x = np.random.default_rng(0).normal(size=10000).astype(np.float32)
    >>> pieces = np.array_split(x, [7, 1000, 1001, 6000])
    >>> y = np.concatenate(list(resample_stream(pieces, 160, 441, block=1000)))
    >>> bool(np.array_equal(y, np.concatenate(list(resample_blocks(x, 160, 441,
    ...                                                             block=1000)))))
    True
    """
    plan = _Plan(up, down)
    buffer = _Buffer()
    m0 = 0
    for x in blocks:
        buffer.append(x)
        while True:  # the blocks whose input has arrived
            start, need = plan.span(m0, m0 + block)
            if buffer.end < need:
                break
            yield plan.block(buffer.take(start, need), start, m0, m0 + block)
            m0 += block
    n_out = n_resampled(buffer.end, up, down)
    for first in range(m0, n_out, block):
        m0, m1 = first, min(first + block, n_out)
        start, need = plan.span(m0, m1)
        yield plan.block(buffer.take(start, min(buffer.end, need)), start, m0, m1)
