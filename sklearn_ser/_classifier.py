"""The BiLSTM attention network of the paper as a skorch classifier."""

import copy
import numbers
import warnings
from contextlib import contextmanager

import numpy as np
import torch
from sklearn.model_selection import StratifiedGroupKFold, StratifiedShuffleSplit
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import (
    Interval,
    StrOptions,
    validate_parameter_constraints,
)
from sklearn.utils.validation import check_is_fitted, column_or_1d
from skorch import NeuralNet, NeuralNetClassifier
from skorch.callbacks import (
    Callback,
    EpochScoring,
    EpochTimer,
    PassthroughScoring,
    PrintLog,
)
from skorch.dataset import Dataset
from skorch.utils import to_numpy, to_tensor
from torch.utils.data import DataLoader, Sampler, Subset, default_collate

from ._network import ATTENTIONS, NORMALIZATIONS, SERNet
from ._validation import check_3d_array
from .metrics import wa_ua_score

__all__ = ["SERClassifier"]

# Parameters of the network that SERClassifier exposes under their own name.
_MODULE_PARAMS = (
    "attention",
    "hidden_units",
    "lstm_units",
    "attention_units",
    "attention_normalization",
    "dropout",
    "noise_variance",
)


# ---------------------------------------------------------------------------
# Input handling
# ---------------------------------------------------------------------------


def _prepare_input(X, n_features=None):
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


def _dataset(Xz, lengths, y=None):
    return Dataset({"x": Xz, "lengths": lengths}, y)


def _dataset_lengths(dataset):
    """Lengths of the samples of a (subset of a) dataset built by ``_dataset``."""
    if isinstance(dataset, Subset):
        return _dataset_lengths(dataset.dataset)[np.asarray(dataset.indices)]
    X = getattr(dataset, "X", None)
    if isinstance(X, dict) and "lengths" in X:
        return np.asarray(X["lengths"])
    return np.array([int(dataset[i][0]["lengths"]) for i in range(len(dataset))])


def _collate_trim(batch):
    """Stack a batch and cut it to the length of its longest sample."""
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
    >>> from sklearn_ser._classifier import LengthBucketLoader
    >>> lengths = np.array([2, 9, 3, 8])
    >>> ds = Dataset({"x": np.zeros((4, 10, 1), np.float32), "lengths": lengths})
    >>> loader = LengthBucketLoader(ds, batch_size=2, shuffle=False)
    >>> [tuple(x["x"].shape) for x, _ in loader]
    [(2, 3, 1), (2, 9, 1)]
    """

    def __init__(self, dataset, batch_size=32, shuffle=True, bucket=True, **kwargs):
        kwargs.setdefault("collate_fn", _collate_trim)
        sampler = _LengthBucketSampler(
            _dataset_lengths(dataset), batch_size, shuffle=shuffle, bucket=bucket
        )
        super().__init__(dataset, batch_sampler=sampler, **kwargs)


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
    >>> from sklearn_ser._classifier import TrimLoader
    >>> ds = Dataset({"x": np.zeros((3, 10, 1), np.float32),
    ...               "lengths": np.array([2, 3, 7])})
    >>> [tuple(x["x"].shape) for x, _ in TrimLoader(ds, batch_size=2)]
    [(2, 3, 1), (1, 7, 1)]
    """

    def __init__(self, dataset, batch_size=32, **kwargs):
        kwargs.setdefault("collate_fn", _collate_trim)
        # An own generator: evaluation leaves torch's global random state alone.
        kwargs.setdefault("generator", torch.Generator())
        super().__init__(dataset, batch_size=batch_size, **kwargs)


# ---------------------------------------------------------------------------
# Training helpers
# ---------------------------------------------------------------------------


def _resolve_device(device):
    if isinstance(device, str) and device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return device


@contextmanager
def _seeded_torch(seed, device):
    """Seed torch's global generators inside, restore their state afterwards."""
    devices = []
    if device is not None and torch.device(device).type == "cuda":
        index = torch.device(device).index
        devices = [torch.cuda.current_device() if index is None else index]
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        yield


def _valid_wa_ua(net, X, y):
    """WA + UA of the module's predictions on the validation split."""
    logits = to_numpy(net.forward(X))
    with warnings.catch_warnings():
        # A group-aware split may lack a class that the network predicts.
        warnings.filterwarnings("ignore", "y_pred contains classes not in y_true")
        return wa_ua_score(np.asarray(y), logits.argmax(axis=1))


class _BestEpoch(Callback):
    """Keep the weights of the epoch with the best validation WA + UA in memory.

    Stops training after ``net.patience`` epochs without improvement (if not
    None) and restores the best weights when training ends. Does nothing
    when there is no validation data.
    """

    def __init__(self, monitor="valid_wa_ua"):
        self.monitor = monitor

    def on_train_begin(self, net, **kwargs):
        self.best_score_ = -np.inf
        self.best_epoch_ = None
        self.misses_ = 0
        self._best_state = None

    def on_epoch_end(self, net, dataset_valid=None, **kwargs):
        if dataset_valid is None:
            return
        score = net.history[-1, self.monitor]
        if score > self.best_score_:
            self.best_score_ = score
            self.best_epoch_ = net.history[-1, "epoch"]
            self.misses_ = 0
            self._best_state = copy.deepcopy(net.module_.state_dict())
            return
        self.misses_ += 1
        if net.patience is not None and self.misses_ >= net.patience:
            if net.verbose:
                print(
                    f"Stopping: validation WA + UA has not improved for "
                    f"{self.misses_} epochs."
                )
            raise KeyboardInterrupt

    def on_train_end(self, net, **kwargs):
        if self._best_state is not None:
            net.module_.load_state_dict(self._best_state)
        self._best_state = None


# ---------------------------------------------------------------------------
# The estimator
# ---------------------------------------------------------------------------


class _CosineSchedule(Callback):
    """Cosine decay of the learning rate over the epochs of each ``fit`` call.

    Epoch ``k`` (0-based) of a call that trains ``T = max_epochs`` epochs uses
    ``lr_k = lr * (1 + cos(pi * k / T)) / 2`` for every parameter group
    (``lr`` being the group's own learning rate), as
    :class:`torch.optim.lr_scheduler.CosineAnnealingLR` with ``T_max=T`` and
    ``eta_min=0`` stepped once per epoch.
    """

    def on_train_begin(self, net, **kwargs):
        self._epoch = 0
        for group in net.optimizer_.param_groups:
            group.setdefault("initial_lr", group["lr"])

    def on_epoch_begin(self, net, **kwargs):
        factor = 0.5 * (1.0 + np.cos(np.pi * self._epoch / net.max_epochs))
        for group in net.optimizer_.param_groups:
            group["lr"] = group["initial_lr"] * factor
        self._epoch += 1


class SERClassifier(NeuralNetClassifier):
    """BiLSTM network with attention pooling for speech emotion recognition.

    The network of the paper: three frame-wise fully connected ReLU layers, a
    bidirectional LSTM, a pooling over time (mean or one of three attention
    mechanisms) and a linear output layer, trained with Adam on a
    class-weighted cross-entropy. It is a :class:`skorch.NeuralNetClassifier`,
    so it works in scikit-learn pipelines,
    :func:`~sklearn.model_selection.cross_validate` and
    :class:`~sklearn.model_selection.GridSearchCV` (e.g.
    ``param_grid={"classifier__attention": ["mean", "zhou", "yang", "lstm"]}``).

    Input is a float ``(n_samples, n_frames, n_features)`` array in which
    padding frames are all NaN (what :class:`~sklearn_ser.PadCrop` followed by
    :class:`~sklearn_ser.NeutralStandardScaler` produce). Each sample's length
    is the position of its last valid frame; the padding is zero-filled and
    masked, so it never reaches the LSTM outputs at valid frames (including
    the backward direction), the mean, the attention weights or the weighted
    sum. The number of frames may differ between ``fit`` and ``predict``.

    Parameters
    ----------
    attention : {"lstm", "mean", "zhou", "yang"}, default="lstm"
        Pooling over time of the BiLSTM outputs ``h_t``:

        - ``"mean"``: mean over the valid frames (baseline);
        - ``"zhou"``: ``alpha = softmax_t(w^T h_t)``;
        - ``"yang"``: ``u_t = tanh(W h_t + b)``, ``alpha = softmax_t(u^T u_t)``;
        - ``"lstm"``: the paper's model, a second BiLSTM over ``h`` followed
          by a linear score and a sigmoid per frame, normalised as set by
          ``attention_normalization``.

        The pooled vector is ``sum_t alpha_t h_t`` over the valid frames.
    hidden_units : int, default=256
        Units of each of the three frame-wise fully connected layers.
    lstm_units : int, default=128
        Units per direction of the BiLSTM (its output has twice as many).
    attention_units : int, default=128
        Units per direction of the attention BiLSTM (``"lstm"``) or outputs of
        the projection ``W`` (``"yang"``). Unused by ``"mean"`` and
        ``"zhou"``.
    attention_normalization : {"sum", "length", "none"}, default="sum"
        How the sigmoid weights ``s_t`` of ``attention="lstm"`` become
        ``alpha_t``: ``"sum"`` divides by their sum over the valid frames (the
        weights sum to one), ``"length"`` divides by the number of valid
        frames, ``"none"`` uses them as they are. The paper does not say which
        it used. Ignored by the other poolings.
    dropout : float, default=0.1
        Dropout probability (the paper's keep probability 0.9) after each
        fully connected layer and on the BiLSTM outputs; the attention module
        has none.
    noise_variance : float, default=0.4
        Variance of the white Gaussian noise added to the valid frames of the
        (normalised) inputs of each training batch. Never applied to
        validation data or at predict time. 0 disables it.
    l2 : float, default=5e-2
        L2 factor ``gamma`` of the paper, applied the way TensorFlow (the
        paper's framework) does it:
        ``gamma * sum(w ** 2) / 2`` (``gamma * tf.nn.l2_loss(w)``) added to the
        loss for every trainable parameter ``w`` (weights and biases of every
        layer). Its gradient is ``gamma * w``, which is exactly what
        :class:`torch.optim.Adam` adds with ``weight_decay=gamma`` (coupled
        L2, before the moment estimates; not AdamW's decoupled decay), so the
        optimizer gets ``weight_decay=l2``. To exempt some parameters, pass
        e.g. ``optimizer__param_groups=[("*bias*", {"weight_decay": 0})]``.
    lr : float, default=3e-5
        Learning rate of Adam.
    lr_schedule : {"constant", "cosine"}, default="constant"
        ``"constant"`` keeps ``lr`` (the paper); ``"cosine"`` decays it over
        the epochs of each :meth:`fit` call, ``lr * (1 + cos(pi * k /
        max_epochs)) / 2`` in epoch ``k = 0, 1, ...`` (the fast recipe of
        :func:`~sklearn_ser.make_ser_pipeline`).
    batch_size : int, default=32
        Utterances per training batch (also the prediction batch size).
    max_epochs : int, default=200
        Number of training epochs.
    class_weight : "balanced", dict or None, default="balanced"
        Class weights of the cross-entropy. ``"balanced"`` gives class ``c``
        the weight ``N_total / (N_classes * N_c)`` computed on the training
        part of the data (the validation split excluded). A dict maps labels
        to weights (missing labels get 1). None weighs every sample equally.
    validation_fraction : float or None, default=0.1
        Fraction of the training data held out to pick the best epoch by the
        sum of weighted and unweighted accuracy (WA + UA) on it; the weights
        of that epoch are kept in memory and restored at the end of
        :meth:`fit` (no checkpoint files). The split is stratified by class;
        when ``groups`` reach :meth:`fit` (e.g. speakers), it is also
        group-aware (no group on both sides). None or 0: no validation split,
        training uses all the data and the weights of the last epoch are kept.
    patience : int or None, default=None
        Stop training when the validation WA + UA has not improved for
        ``patience`` epochs. None trains for ``max_epochs`` epochs. Needs a
        validation split.
    random_state : int, RandomState instance or None, default=None
        Seeds the weight initialisation, the batches, dropout, the noise and
        the validation split. With an int, two fits on CPU give identical
        predictions. torch's global random state is left as it was.
    device : str or torch.device, default="auto"
        ``"auto"`` uses CUDA when available, else the CPU; other values are
        passed to torch (``"cpu"``, ``"cuda"``, ``"cuda:1"``).
    verbose : int, default=0
        If positive, print a table of the training progress.
    **kwargs
        Passed to :class:`skorch.NeuralNetClassifier`, e.g. ``callbacks``,
        ``iterator_train__num_workers``, ``optimizer__param_groups`` or
        ``module__rnn_implementation`` (``"masked"``, the default, or
        ``"packed"``; see :class:`~sklearn_ser._network.BiLSTM`).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels, as given in ``y`` (e.g. strings such as ``"ang"``).
    n_features_in_ : int
        Number of features per frame seen in :meth:`fit`.
    class_weight_ : ndarray of shape (n_classes,) or None
        Weight of each class in the loss.
    validation_indices_ : ndarray of int
        Indices (into the ``X`` given to :meth:`fit`) of the samples held out
        for validation; empty without validation split.
    best_epoch_ : int
        Epoch (1-based) whose weights the model holds: the best one on the
        validation split, or the last one without validation split.
    module_ : torch.nn.Module
        The trained network (a :class:`~sklearn_ser._network.SERNet`).
    history_ : skorch.History
        Per-epoch training log: ``train_loss``, ``valid_loss``,
        ``valid_wa_ua`` (and ``valid_wa_ua_best``), ``dur``.

    See Also
    --------
    sklearn_ser.PadCrop : Pads the frame sequences with NaN.
    sklearn_ser.NeutralStandardScaler : Normalises them, keeping the NaN.

    Notes
    -----
    Training batches group utterances of similar length and are cut to the
    longest utterance of the batch (:class:`LengthBucketLoader`); prediction
    sorts the samples by length the same way and restores their order, so
    the padding costs almost no time. Padding never changes the outputs: a
    sample gets the same probabilities whatever its padding and batch.

    The paper's defaults (``lr=3e-5``, ``l2=5e-2``, 200 epochs) need a long
    budget: with few epochs the L2 term dominates and the network predicts
    the majority class. Short experiments should use e.g. ``lr=1e-3`` and a
    small ``l2``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ser import SERClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(40, 12, 3)).astype(np.float32)
    >>> y = np.array(["ang", "sad"] * 20)
    >>> X[y == "ang", :4] += 2.0
    >>> X[::3, 8:] = np.nan  # padding
    >>> clf = SERClassifier(hidden_units=8, lstm_units=4, attention_units=4,
    ...                     lr=1e-2, l2=0.0, max_epochs=5, random_state=0,
    ...                     device="cpu").fit(X, y)
    >>> clf.classes_
    array(['ang', 'sad'], dtype='<U3')
    >>> clf.predict_proba(X[:2]).sum(axis=1).round(6)
    array([1., 1.])
    >>> [w.shape for w in clf.attention_weights(X[:2])]
    [(8,), (12,)]
    """

    _parameter_constraints = {
        "attention": [StrOptions(set(ATTENTIONS))],
        "hidden_units": [Interval(numbers.Integral, 1, None, closed="left")],
        "lstm_units": [Interval(numbers.Integral, 1, None, closed="left")],
        "attention_units": [Interval(numbers.Integral, 1, None, closed="left")],
        "attention_normalization": [StrOptions(set(NORMALIZATIONS))],
        "dropout": [Interval(numbers.Real, 0, 1, closed="left")],
        "noise_variance": [Interval(numbers.Real, 0, None, closed="left")],
        "l2": [Interval(numbers.Real, 0, None, closed="left")],
        "lr": [Interval(numbers.Real, 0, None, closed="neither")],
        "lr_schedule": [StrOptions({"constant", "cosine"})],
        "batch_size": [Interval(numbers.Integral, 1, None, closed="left")],
        "max_epochs": [Interval(numbers.Integral, 1, None, closed="left")],
        "class_weight": [StrOptions({"balanced"}), dict, None],
        "validation_fraction": [Interval(numbers.Real, 0, 1, closed="left"), None],
        "patience": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "random_state": ["random_state"],
        "device": [str, torch.device, None],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        *,
        attention="lstm",
        hidden_units=256,
        lstm_units=128,
        attention_units=128,
        attention_normalization="sum",
        dropout=0.1,
        noise_variance=0.4,
        l2=5e-2,
        lr=3e-5,
        lr_schedule="constant",
        batch_size=32,
        max_epochs=200,
        class_weight="balanced",
        validation_fraction=0.1,
        patience=None,
        random_state=None,
        device="auto",
        verbose=0,
        **kwargs,
    ):
        kwargs.setdefault("module", SERNet)
        kwargs.setdefault("criterion", torch.nn.CrossEntropyLoss)
        kwargs.setdefault("optimizer", torch.optim.Adam)
        kwargs.setdefault("train_split", None)
        kwargs.setdefault("iterator_train", LengthBucketLoader)
        kwargs.setdefault("iterator_valid", TrimLoader)
        super().__init__(
            lr=lr,
            batch_size=batch_size,
            max_epochs=max_epochs,
            device=device,
            verbose=verbose,
            **kwargs,
        )
        self.attention = attention
        self.hidden_units = hidden_units
        self.lstm_units = lstm_units
        self.attention_units = attention_units
        self.attention_normalization = attention_normalization
        self.dropout = dropout
        self.noise_variance = noise_variance
        self.l2 = l2
        self.lr_schedule = lr_schedule
        self.class_weight = class_weight
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.random_state = random_state

    # -- device="auto" ------------------------------------------------------
    # skorch reads ``self.device`` wherever it moves tensors; the property
    # gives it the resolved device while get_params returns the raw value.

    @property
    def device(self):
        return _resolve_device(self.__dict__.get("device", "auto"))

    @device.setter
    def device(self, value):
        self.__dict__["device"] = value

    def get_params(self, deep=True, **kwargs):
        params = super().get_params(deep=deep, **kwargs)
        params["device"] = self.__dict__.get("device", "auto")
        return params

    def __setstate__(self, state):
        raw = state.get("device")
        state["device"] = _resolve_device(raw)
        super().__setstate__(state)
        if isinstance(raw, str) and raw == "auto":
            self.__dict__["device"] = raw

    # -- skorch hooks ---------------------------------------------------------

    @property
    def _default_callbacks(self):
        schedule = ([("lr_schedule", _CosineSchedule())]
                    if getattr(self, "lr_schedule", "constant") == "cosine" else [])
        return schedule + [
            ("epoch_timer", EpochTimer()),
            ("train_loss", PassthroughScoring(name="train_loss", on_train=True)),
            ("valid_loss", PassthroughScoring(name="valid_loss")),
            (
                "valid_wa_ua",
                EpochScoring(_valid_wa_ua, name="valid_wa_ua", lower_is_better=False),
            ),
            ("best_epoch", _BestEpoch(monitor="valid_wa_ua")),
            ("print_log", PrintLog()),
        ]

    def get_params_for(self, prefix):
        params = super().get_params_for(prefix)
        if prefix == "module":
            params.update(
                n_features=self.n_features_in_,
                n_classes=len(self.classes_),
                **{name: getattr(self, name) for name in _MODULE_PARAMS},
            )
        elif prefix == "criterion" and getattr(self, "class_weight_", None) is not None:
            params["weight"] = torch.as_tensor(self.class_weight_, dtype=torch.float32)
        return params

    def get_params_for_optimizer(self, prefix, named_parameters):
        args, kwargs = super().get_params_for_optimizer(prefix, named_parameters)
        if prefix == "optimizer":
            kwargs["weight_decay"] = self.l2
        return args, kwargs

    def check_data(self, X, y):
        # Input is validated by fit; y reaches skorch already encoded.
        pass

    def get_split_datasets(self, X, y=None, **fit_params):
        if self.train_split is not None:
            return super().get_split_datasets(X, y, **fit_params)
        dataset = self.get_dataset(X, y)
        valid = self.validation_indices_
        if valid.size == 0:
            return dataset, None
        keep = np.ones(len(dataset), dtype=bool)
        keep[valid] = False
        lengths = _dataset_lengths(dataset)
        # Validation samples in order of length: batches of similar length.
        valid = valid[np.argsort(lengths[valid], kind="stable")]
        return Subset(dataset, np.flatnonzero(keep)), Subset(dataset, valid)

    # -- fitting --------------------------------------------------------------

    def _check_params(self):
        params = {name: getattr(self, name) for name in self._parameter_constraints}
        params["device"] = self.__dict__.get("device", "auto")
        validate_parameter_constraints(
            self._parameter_constraints, params, caller_name=type(self).__name__
        )
        for name in _MODULE_PARAMS + ("n_features", "n_classes"):
            if hasattr(self, f"module__{name}"):
                raise ValueError(
                    f"Set {name!r} through the SERClassifier parameter of that name, "
                    f"not module__{name}."
                )
        if hasattr(self, "optimizer__weight_decay"):
            raise ValueError(
                "Set the L2 factor through the 'l2' parameter, not "
                "optimizer__weight_decay."
            )

    def _encode_target(self, y, n_samples, reset):
        if y is None:
            raise ValueError("SERClassifier requires y (the class labels) in fit.")
        y = column_or_1d(y, warn=True)
        if y.shape[0] != n_samples:
            raise ValueError(
                f"X has {n_samples} samples but y has {y.shape[0]}; one label per "
                "sample is required."
            )
        missing = np.array([v is None for v in y]) if y.dtype == object else (
            np.isnan(y) if y.dtype.kind == "f" else np.zeros(y.shape[0], dtype=bool)
        )
        if missing.any():
            raise ValueError(
                f"y has a missing label (None or NaN) at sample "
                f"{int(np.flatnonzero(missing)[0])} ({int(missing.sum())} in all); "
                "every sample needs a class label."
            )
        if reset:
            labels = (
                np.asarray(self.classes) if self.classes is not None else np.unique(y)
            )
            if labels.size < 2:
                raise ValueError(
                    "SERClassifier needs at least 2 classes in y; got only "
                    f"{labels.tolist()}."
                )
        else:
            labels = self.classes_
        sorter = np.argsort(labels, kind="stable")
        pos = np.clip(np.searchsorted(labels, y, sorter=sorter), 0, labels.size - 1)
        encoded = sorter[pos]
        unknown = labels[encoded] != y
        if unknown.any():
            raise ValueError(
                f"y contains label(s) {np.unique(y[unknown]).tolist()[:10]} that are "
                f"not among the classes {labels.tolist()}."
            )
        return labels, encoded.astype(np.int64)

    def _validation_split(self, y, groups, rng):
        n = y.shape[0]
        fraction = self.validation_fraction
        if not fraction:
            return np.array([], dtype=np.int64)
        n_classes = np.unique(y).size
        if groups is not None:
            groups = column_or_1d(groups)
            if groups.shape[0] != n:
                raise ValueError(
                    f"groups has {groups.shape[0]} entries but X has {n} samples."
                )
            n_groups = np.unique(groups).size
            if n_groups < 2:
                raise ValueError(
                    "groups holds a single group; a group-aware validation split "
                    "needs at least 2 groups. Pass more groups or set "
                    "validation_fraction=None."
                )
            n_splits = int(min(max(2, round(1 / fraction)), n_groups))
            cv = StratifiedGroupKFold(
                n_splits=n_splits, shuffle=True,
                random_state=rng.randint(np.iinfo(np.int32).max),
            )
            _, valid = next(cv.split(np.zeros(n), y, groups))
        else:
            counts = np.bincount(y)
            if counts[counts > 0].min() < 2:
                raise ValueError(
                    "A class of y has a single sample, so no stratified validation "
                    "split can be held out; set validation_fraction=None."
                )
            n_valid = max(int(np.ceil(fraction * n)), n_classes)
            if n - n_valid < n_classes:
                raise ValueError(
                    f"validation_fraction={fraction} leaves too few of the {n} "
                    "samples for training; lower it or set validation_fraction=None."
                )
            cv = StratifiedShuffleSplit(
                n_splits=1, test_size=n_valid,
                random_state=rng.randint(np.iinfo(np.int32).max),
            )
            _, valid = next(cv.split(np.zeros(n), y))
        return np.sort(valid).astype(np.int64)

    def _class_weights(self, y_train):
        n_classes = len(self.classes_)
        if self.class_weight is None:
            return None
        if isinstance(self.class_weight, dict):
            unknown = set(self.class_weight) - set(self.classes_.tolist())
            if unknown:
                raise ValueError(
                    f"class_weight has label(s) {sorted(map(str, unknown))} that are "
                    f"not among the classes {self.classes_.tolist()}."
                )
            return np.array(
                [float(self.class_weight.get(c, 1.0)) for c in self.classes_.tolist()]
            )
        counts = np.bincount(y_train, minlength=n_classes)
        if (counts == 0).any():
            missing = self.classes_[counts == 0].tolist()
            raise ValueError(
                f"Class(es) {missing} have no training sample once the validation "
                "split is held out, so balanced class weights are undefined. Use "
                "more data per class or group, or set validation_fraction=None."
            )
        return y_train.size / (n_classes * counts)

    def fit(self, X, y, groups=None, **fit_params):
        """Train the network, keeping the epoch with the best validation WA + UA.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_frames, n_features)
            Frame features; padding frames are all NaN, after the valid frames.
        y : array-like of shape (n_samples,)
            Class labels (any sortable labels, e.g. strings).
        groups : array-like of shape (n_samples,), default=None
            Group of each sample (e.g. speaker); if given, the validation split
            keeps each group on one side. Reaches ``fit`` directly or through
            scikit-learn's metadata routing
            (``clf.set_fit_request(groups=True)``).
        **fit_params : dict
            Passed to skorch.

        Returns
        -------
        self : SERClassifier
            The fitted classifier.
        """
        return self._fit(X, y, groups, fit_params, routing_method="fit")

    def partial_fit(self, X, y, classes=None, groups=None, **fit_params):
        """Train for ``max_epochs`` more epochs, starting from the current weights.

        Like :meth:`fit`, but without re-initialising the network (the first
        call initialises it). The classes and feature count stay those of
        the first call.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_frames, n_features)
            Frame features with NaN padding.
        y : array-like of shape (n_samples,)
            Class labels, among ``classes_``.
        classes : None
            Unused; the classes come from ``y`` of the first call or from the
            ``classes`` parameter.
        groups : array-like of shape (n_samples,), default=None
            Groups for the validation split, as in :meth:`fit`.
        **fit_params : dict
            Passed to skorch.

        Returns
        -------
        self : SERClassifier
            The classifier.
        """
        return self._fit(X, y, groups, fit_params, routing_method="partial_fit")

    def _fit(self, X, y, groups, fit_params, routing_method):
        self._check_params()
        fresh = (
            routing_method == "fit" and not self.warm_start
        ) or not self.initialized_
        Xz, lengths = _prepare_input(
            X, n_features=None if fresh else self.n_features_in_
        )
        labels, y_enc = self._encode_target(y, Xz.shape[0], reset=fresh)
        if fresh:
            self.classes_inferred_ = labels
            self.n_features_in_ = Xz.shape[2]
        rng = check_random_state(self.random_state)
        self.validation_indices_ = self._validation_split(y_enc, groups, rng)
        train = np.ones(len(y_enc), dtype=bool)
        train[self.validation_indices_] = False
        self.class_weight_ = self._class_weights(y_enc[train])
        seed = rng.randint(np.iinfo(np.int32).max)
        with _seeded_torch(seed, self.device):
            if fresh:
                self.initialize()
            else:
                self._initialize_criterion()
            NeuralNet.partial_fit(
                self, {"x": Xz, "lengths": lengths}, y_enc,
                _routing_method=routing_method, **fit_params,
            )
        best = dict(self.callbacks_).get("best_epoch")
        self.best_epoch_ = (
            best.best_epoch_ if best is not None and best.best_epoch_ is not None
            else self.history_[-1, "epoch"]
        )
        return self

    # -- prediction -----------------------------------------------------------

    def _sorted_dataset(self, X):
        check_is_fitted(self)
        Xz, lengths = _prepare_input(X, n_features=self.n_features_in_)
        order = np.argsort(lengths, kind="stable")
        return Subset(_dataset(Xz, lengths), order), order, lengths

    def predict_proba(self, X):
        """Class probabilities.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_frames, n_features)
            Frame features with NaN padding; ``n_frames`` may differ from the
            training data.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities (float64) in the order of ``classes_``; each row sums
            to one.
        """
        dataset, order, _ = self._sorted_dataset(X)
        nonlin = self._get_predict_nonlinearity()
        chunks = []
        for logits in self.forward_iter(dataset, training=False):
            logits = logits[0] if isinstance(logits, tuple) else logits
            chunks.append(to_numpy(nonlin(logits.double())))
        proba = np.empty((order.size, len(self.classes_)), dtype=np.float64)
        proba[order] = np.concatenate(chunks)
        return proba

    def predict(self, X):
        """Class labels.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_frames, n_features)
            Frame features with NaN padding.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted labels, taken from ``classes_``.
        """
        proba = self.predict_proba(X)
        return self.classes_[proba.argmax(axis=1)]

    def attention_weights(self, X):
        """Weight of each valid frame in the pooling.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_frames, n_features)
            Frame features with NaN padding.

        Returns
        -------
        weights : list of ndarray of shape (length_i,)
            For each sample, one weight per valid frame: the attention weights
            ``alpha_t`` for ``"zhou"``, ``"yang"`` and ``"lstm"``, ``1 /
            length`` for ``"mean"``.
        """
        dataset, order, lengths = self._sorted_dataset(X)
        self._set_training(False)
        chunks = []
        with torch.no_grad():
            for Xi, _ in self.get_iterator(dataset, training=False):
                Xi = to_tensor(Xi, device=self.device)
                alpha = self.module_.attention_weights(**Xi)
                chunks.extend(to_numpy(alpha.double()))
        weights = [None] * order.size
        for i, alpha in zip(order, chunks, strict=True):
            weights[i] = alpha[: lengths[i]]
        return weights

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.three_d_array = True
        tags.input_tags.allow_nan = True
        tags.target_tags.required = True
        tags.non_deterministic = self.random_state is None
        return tags
