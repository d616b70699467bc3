"""PyTorch network of :class:`~sklearn_ser.SERClassifier`.

Frame-wise fully connected layers, a bidirectional LSTM and one of four
poolings over time (mean, Zhou, Yang, or the LSTM attention of the paper),
followed by a linear output layer that returns logits.

Every module takes right-padded batches ``x`` of shape ``(batch, T, d)`` with
the true number of frames of each sample in ``lengths``. The outputs at the
valid frames of a sample do not depend on its padding: the backward direction
of each BiLSTM starts at the sample's last valid frame, and the poolings mask
the padding out. A sample therefore gets the same output whether it is padded
to 300 or 500 frames, alone or in a batch with longer samples.
"""

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from .._paper import ATTENTION_UNITS, ATTENTIONS, DROPOUT, HIDDEN_UNITS, LSTM_UNITS
from ._precision import run_lstm

ATTENTION_NORMALIZATIONS = ("sum", "length", "none")
RNN_IMPLEMENTATIONS = ("masked", "packed")


def length_mask(lengths, n_frames):
    """Boolean ``(batch, n_frames)`` mask, True at the valid frames."""
    steps = torch.arange(n_frames, device=lengths.device)
    return steps.unsqueeze(0) < lengths.unsqueeze(1)


def _reverse_index(lengths, n_frames):
    """Flat row index that reverses each sequence within its own length.

    For a ``(batch, n_frames, d)`` tensor seen as ``(batch * n_frames, d)``
    rows: frame ``t < length`` of a sample takes frame ``length - 1 - t``;
    padding frames stay where they are. The permutation is its own inverse.
    """
    steps = torch.arange(n_frames, device=lengths.device).unsqueeze(0)
    lengths = lengths.unsqueeze(1)
    index = torch.where(steps < lengths, lengths - 1 - steps, steps)
    offsets = torch.arange(lengths.shape[0], device=lengths.device) * n_frames
    return (index + offsets.unsqueeze(1)).reshape(-1)


def _take_rows(x, index):
    batch, n_frames, size = x.shape
    return x.reshape(batch * n_frames, size).index_select(0, index).reshape(
        batch, n_frames, size
    )


class BiLSTM(nn.Module):
    """Bidirectional LSTM that is exact on right-padded batches.

    Parameters
    ----------
    input_size : int
        Features per frame.
    hidden_size : int
        Units per direction; the output has ``2 * hidden_size`` features
        (forward, then backward).
    implementation : {"masked", "packed"}, default="masked"
        ``"masked"`` runs the forward direction over the padded batch (the
        padding comes after the valid frames, so it cannot reach them) and the
        backward direction as a second forward LSTM over each sequence reversed
        within its own length. ``"packed"`` uses
        :func:`torch.nn.utils.rnn.pack_padded_sequence` and a bidirectional
        :class:`torch.nn.LSTM`. Both are exact; they differ in speed and in the
        names of their parameters.

    Examples
    --------
    >>> import torch
    >>> from sklearn_ser.network._modules import BiLSTM
    >>> rnn = BiLSTM(3, 2)
    >>> x = torch.randn(1, 5, 3)
    >>> padded = torch.cat([x, torch.zeros(1, 4, 3)], dim=1)
    >>> lengths = torch.tensor([5])
    >>> torch.allclose(rnn(padded, lengths)[:, :5], rnn(x, lengths), atol=1e-6)
    True
    """

    def __init__(self, input_size, hidden_size, implementation="masked"):
        super().__init__()
        if implementation not in RNN_IMPLEMENTATIONS:
            raise ValueError(
                f"implementation must be one of {RNN_IMPLEMENTATIONS}, got "
                f"{implementation!r}."
            )
        self.implementation = implementation
        if implementation == "masked":
            self.forward_lstm = nn.LSTM(input_size, hidden_size, batch_first=True)
            self.backward_lstm = nn.LSTM(input_size, hidden_size, batch_first=True)
        else:
            self.lstm = nn.LSTM(
                input_size, hidden_size, batch_first=True, bidirectional=True
            )

    def forward(self, x, lengths):
        """Outputs ``(batch, T, 2 * hidden_size)``; exact at valid frames."""
        if self.implementation == "packed":
            packed = pack_padded_sequence(
                x, lengths.cpu(), batch_first=True, enforce_sorted=False
            )
            out, _ = self.lstm(packed)
            out, _ = pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])
            return out
        out_fwd = run_lstm(self.forward_lstm, x)
        index = _reverse_index(lengths, x.shape[1])
        out_bwd = run_lstm(self.backward_lstm, _take_rows(x, index))
        return torch.cat([out_fwd, _take_rows(out_bwd, index)], dim=-1)


class MeanPooling(nn.Module):
    """Uniform weights ``1 / length`` over the valid frames."""

    def forward(self, h, mask, lengths):
        return mask.to(h.dtype) / lengths.unsqueeze(1).to(h.dtype)


def _masked_softmax(scores, mask):
    return torch.softmax(scores.masked_fill(~mask, float("-inf")), dim=1)


class ZhouAttention(nn.Module):
    """``alpha = softmax_t(w^T h_t)``, the attention of Zhou et al. [1]_.

    References
    ----------
    .. [1] P. Zhou, W. Shi, J. Tian, Z. Qi, B. Li, H. Hao and B. Xu,
       "Attention-Based Bidirectional Long Short-Term Memory Networks for
       Relation Classification," in *Proc. 54th Annual Meeting of the
       Association for Computational Linguistics (ACL 2016), Volume 2:
       Short Papers*, Berlin, Germany, 2016, pp. 207--212.
    """

    def __init__(self, n_features):
        super().__init__()
        self.score = nn.Linear(n_features, 1, bias=False)

    def forward(self, h, mask, lengths):
        return _masked_softmax(self.score(h).squeeze(-1), mask)


class YangAttention(nn.Module):
    """``u_t = tanh(W h_t + b)``, ``alpha = softmax_t(u_w^T u_t)``.

    The word-level attention of the hierarchical attention network of Yang
    et al. [1]_, with a learned context vector ``u_w``.

    References
    ----------
    .. [1] Z. Yang, D. Yang, C. Dyer, X. He, A. Smola and E. Hovy,
       "Hierarchical Attention Networks for Document Classification," in
       *Proc. 2016 Conference of the North American Chapter of the
       Association for Computational Linguistics: Human Language
       Technologies (NAACL-HLT 2016)*, San Diego, California, 2016,
       pp. 1480--1489.
    """

    def __init__(self, n_features, attention_units):
        super().__init__()
        self.project = nn.Linear(n_features, attention_units)
        self.context = nn.Linear(attention_units, 1, bias=False)

    def forward(self, h, mask, lengths):
        u = torch.tanh(self.project(h))
        return _masked_softmax(self.context(u).squeeze(-1), mask)


class LSTMAttention(nn.Module):
    """The paper's attention: a BiLSTM over ``h``, a linear score, a sigmoid.

    ``a_t = BiLSTM(h)_t``, ``s_t = sigmoid(w^T a_t + b)``, then ``alpha_t`` is
    ``s_t / sum_valid s`` (``normalization="sum"``), ``s_t / length``
    (``"length"``) or ``s_t`` itself (``"none"``). The context-aware
    attention of Ramet et al. [1]_; the paper does not say how the sigmoid
    weights are normalised.

    References
    ----------
    .. [1] G. Ramet, P. N. Garner, M. Baeriswyl and A. Lazaridis,
       "Context-aware attention mechanism for speech emotion
       recognition," in *Proc. IEEE Spoken Language Technology Workshop
       (SLT)*, Athens, Greece, 2018.
    """

    def __init__(self, n_features, attention_units, normalization="sum",
                 implementation="masked"):
        super().__init__()
        if normalization not in ATTENTION_NORMALIZATIONS:
            raise ValueError(
                f"normalization must be one of {ATTENTION_NORMALIZATIONS}, got "
                f"{normalization!r}."
            )
        self.normalization = normalization
        self.lstm = BiLSTM(n_features, attention_units, implementation)
        self.score = nn.Linear(2 * attention_units, 1)

    def forward(self, h, mask, lengths):
        a = self.lstm(h, lengths)
        s = torch.sigmoid(self.score(a).squeeze(-1)) * mask.to(h.dtype)
        if self.normalization == "sum":
            return s / s.sum(dim=1, keepdim=True)
        if self.normalization == "length":
            return s / lengths.unsqueeze(1).to(h.dtype)
        return s


class SERNet(nn.Module):
    """BiLSTM network with attention pooling for speech emotion recognition.

    ``x -> noise (training only) -> 3 x [Linear + ReLU + Dropout] -> BiLSTM ->
    Dropout -> pooling -> Linear -> logits``: the network of Ramet et al.
    [1]_, with the pooling of the paper (``"lstm"``), of Zhou et al. [2]_
    (``"zhou"``), of Yang et al. [3]_ (``"yang"``) or the mean.

    Parameters
    ----------
    n_features : int
        Features per frame of the input.
    n_classes : int
        Number of classes (outputs).
    attention : {"lstm", "mean", "zhou", "yang"}, default="lstm"
        Pooling over time.
    hidden_units : int, default=256
        Units of each of the three frame-wise fully connected layers.
    lstm_units : int, default=128
        Units per direction of the BiLSTM.
    attention_units : int, default=128
        Units per direction of the attention BiLSTM (``"lstm"``) or outputs of
        the attention layer (``"yang"``); unused otherwise.
    attention_normalization : {"sum", "length", "none"}, default="sum"
        Normalisation of the sigmoid weights of ``"lstm"``.
    dropout : float, default=0.1
        Dropout probability after each fully connected layer and after the
        BiLSTM; none inside the attention module.
    noise_variance : float, default=0.0
        Variance of the white noise added to the valid input frames in
        training mode.
    rnn_implementation : {"masked", "packed"}, default="masked"
        How the BiLSTMs handle padding, see :class:`BiLSTM`.

    References
    ----------
    .. [1] G. Ramet, P. N. Garner, M. Baeriswyl and A. Lazaridis,
       "Context-aware attention mechanism for speech emotion
       recognition," in *Proc. IEEE Spoken Language Technology Workshop
       (SLT)*, Athens, Greece, 2018.
    .. [2] P. Zhou, W. Shi, J. Tian, Z. Qi, B. Li, H. Hao and B. Xu,
       "Attention-Based Bidirectional Long Short-Term Memory Networks for
       Relation Classification," in *Proc. 54th Annual Meeting of the
       Association for Computational Linguistics (ACL 2016), Volume 2:
       Short Papers*, Berlin, Germany, 2016, pp. 207--212.
    .. [3] Z. Yang, D. Yang, C. Dyer, X. He, A. Smola and E. Hovy,
       "Hierarchical Attention Networks for Document Classification," in
       *Proc. 2016 Conference of the North American Chapter of the
       Association for Computational Linguistics: Human Language
       Technologies (NAACL-HLT 2016)*, San Diego, California, 2016,
       pp. 1480--1489.

    Examples
    --------
    >>> import torch
    >>> from sklearn_ser.network._modules import SERNet
    >>> net = SERNet(n_features=4, n_classes=3, hidden_units=8, lstm_units=4,
    ...              attention_units=4).eval()
    >>> x, lengths = torch.randn(2, 6, 4), torch.tensor([6, 3])
    >>> net(x, lengths).shape
    torch.Size([2, 3])
    >>> weights = net.attention_weights(x, lengths)
    >>> bool(torch.all(weights[1, 3:] == 0)), torch.allclose(weights.sum(1), torch.ones(2))
    (True, True)
    """

    def __init__(self, n_features, n_classes, attention="lstm",
                 hidden_units=HIDDEN_UNITS, lstm_units=LSTM_UNITS,
                 attention_units=ATTENTION_UNITS, attention_normalization="sum",
                 dropout=DROPOUT, noise_variance=0.0, rnn_implementation="masked"):
        super().__init__()
        if attention not in ATTENTIONS:
            raise ValueError(
                f"attention must be one of {ATTENTIONS}, got {attention!r}."
            )
        self.attention = attention
        self.noise_std = float(noise_variance) ** 0.5
        layers = []
        size = n_features
        for _ in range(3):
            layers += [nn.Linear(size, hidden_units), nn.ReLU(), nn.Dropout(dropout)]
            size = hidden_units
        self.frames = nn.Sequential(*layers)
        self.rnn = BiLSTM(hidden_units, lstm_units, rnn_implementation)
        self.rnn_dropout = nn.Dropout(dropout)
        n_rnn = 2 * lstm_units
        if attention == "mean":
            self.pooling = MeanPooling()
        elif attention == "zhou":
            self.pooling = ZhouAttention(n_rnn)
        elif attention == "yang":
            self.pooling = YangAttention(n_rnn, attention_units)
        else:
            self.pooling = LSTMAttention(
                n_rnn, attention_units, attention_normalization, rnn_implementation
            )
        self.output = nn.Linear(n_rnn, n_classes)

    def _encode(self, x, lengths):
        mask = length_mask(lengths, x.shape[1])
        if self.training and self.noise_std > 0:
            noise = torch.randn_like(x) * self.noise_std
            x = x + noise * mask.unsqueeze(-1).to(x.dtype)
        h = self.rnn(self.frames(x), lengths)
        h = self.rnn_dropout(h) * mask.unsqueeze(-1).to(h.dtype)
        alpha = self.pooling(h, mask, lengths)
        return h, alpha

    def forward(self, x, lengths):
        """Logits ``(batch, n_classes)`` of right-padded ``x`` ``(batch, T, d)``."""
        h, alpha = self._encode(x, lengths)
        pooled = torch.bmm(alpha.unsqueeze(1), h).squeeze(1)
        return self.output(pooled)

    def attention_weights(self, x, lengths):
        """Pooling weights ``(batch, T)``; zero at padding frames."""
        return self._encode(x, lengths)[1]
