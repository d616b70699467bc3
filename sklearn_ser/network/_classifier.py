"""The BiLSTM attention network of the paper as a skorch classifier."""

from functools import partial

import numpy as np
import torch
from skorch import NeuralNetClassifier

from .. import _compat, _paper
from .._compat import StrOptions
from ..persistence._registry import SKORCH_ATTRIBUTES, register
from . import _training
from ._base import (
    NETWORK_CONSTRAINTS,
    NETWORK_PARAMETER_CLASSES,
    SERNetMixin,
    check_loaded_params,
    check_network_state,
    network_is_fitted,
)
from ._callbacks import WA_UA_SELECTION

__all__ = ["SERClassifier"]


class SERClassifier(SERNetMixin, NeuralNetClassifier):
    """BiLSTM network with attention pooling for speech emotion recognition.

    The network of the paper [1]_: three frame-wise fully connected ReLU
    layers, a bidirectional LSTM, a pooling over time (mean or one of three
    attention mechanisms) and a linear output layer, trained with Adam on a
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
        - ``"zhou"``: ``alpha = softmax_t(w^T h_t)``, the attention of
          Zhou et al. [2]_;
        - ``"yang"``: ``u_t = tanh(W h_t + b)``, ``alpha = softmax_t(u^T u_t)``,
          the word attention of Yang et al. [3]_;
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
        passed to torch (``"cpu"``, ``"cuda"``, ``"cuda:1"``). On CUDA the
        batches are built on the host in pinned memory and copied without
        blocking.
    precision : {"float32", "bf16", "fp16"}, default="float32"
        Arithmetic of the forward passes in training and prediction.
        ``"float32"`` computes in float32 throughout. ``"bf16"`` and
        ``"fp16"`` run them under :func:`torch.autocast` (matrix products
        and LSTMs in bfloat16 or float16, the loss in float32); the weights,
        gradients and optimizer state stay float32, and probabilities come
        back as float64. On CUDA, ``"fp16"`` training scales the loss with
        :class:`torch.amp.GradScaler`. They pay off on GPUs and on CPUs with
        bfloat16 / float16 instructions (AVX-512 BF16, AMX); on other CPUs
        the LSTMs run in emulated low precision, many times slower than
        float32. A device or torch build without that autocast raises a
        ``ValueError`` in :meth:`fit`.
    verbose : int, default=0
        If positive, print a table of the training progress.
    **kwargs
        Passed to :class:`skorch.NeuralNetClassifier`, e.g. ``callbacks``,
        ``iterator_train__num_workers``, ``optimizer__param_groups`` or
        ``module__rnn_implementation``: ``"masked"`` (the default) runs the
        backward direction of each BiLSTM over every sequence reversed within
        its own length, ``"packed"`` uses
        :func:`torch.nn.utils.rnn.pack_padded_sequence`; both are exact on
        padded batches.

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
        The trained network, which returns logits.
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
    longest utterance of the batch (the default ``iterator_train``); prediction
    sorts the samples by length the same way and restores their order, so
    the padding costs almost no time. Padding never changes the outputs: a
    sample gets the same probabilities whatever its padding and batch.

    The paper's defaults (``lr=3e-5``, ``l2=5e-2``, 200 epochs) need a long
    budget: with few epochs the L2 term dominates and the network predicts
    the majority class. Short experiments should use e.g. ``lr=1e-3`` and a
    small ``l2``.

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
        **NETWORK_CONSTRAINTS,
        "class_weight": [StrOptions({"balanced"}), dict, None],
    }

    def __init__(
        self,
        *,
        attention="lstm",
        hidden_units=_paper.HIDDEN_UNITS,
        lstm_units=_paper.LSTM_UNITS,
        attention_units=_paper.ATTENTION_UNITS,
        attention_normalization="sum",
        dropout=_paper.DROPOUT,
        noise_variance=_paper.NOISE_VARIANCE,
        l2=_paper.L2,
        lr=_paper.LR,
        lr_schedule="constant",
        batch_size=_paper.BATCH_SIZE,
        max_epochs=_paper.MAX_EPOCHS,
        class_weight="balanced",
        validation_fraction=0.1,
        patience=None,
        random_state=None,
        device="auto",
        precision="float32",
        verbose=0,
        **kwargs,
    ):
        self._init_network(
            kwargs, criterion=torch.nn.CrossEntropyLoss, lr=lr,
            batch_size=batch_size, max_epochs=max_epochs, device=device,
            verbose=verbose, attention=attention, hidden_units=hidden_units,
            lstm_units=lstm_units, attention_units=attention_units,
            attention_normalization=attention_normalization, dropout=dropout,
            noise_variance=noise_variance, l2=l2, lr_schedule=lr_schedule,
            class_weight=class_weight, validation_fraction=validation_fraction,
            patience=patience, random_state=random_state, precision=precision,
        )

    # -- skorch hooks ---------------------------------------------------------

    _selection = WA_UA_SELECTION

    def _n_outputs(self):
        return len(self.classes_)

    def get_params_for(self, prefix):
        params = super().get_params_for(prefix)
        if prefix == "criterion" and getattr(self, "class_weight_", None) is not None:
            params["weight"] = torch.as_tensor(self.class_weight_, dtype=torch.float32)
        return params

    # -- fitting --------------------------------------------------------------

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

    def _encode_target(self, y, n_samples, fresh):
        labels, y_enc = _training.encode_target(
            y, n_samples, classes=self.classes,
            fitted_classes=None if fresh else self.classes_,
        )
        if fresh:
            self.classes_inferred_ = labels
        return y_enc, y_enc

    def _fit_target(self, y_enc, train, fresh):
        self.class_weight_ = _training.class_weights(self.class_weight, self.classes_,
                                                     y_enc[train])
        return y_enc

    # -- prediction -----------------------------------------------------------

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
        return self._network_outputs(X, _compat.predict_nonlinearity(self))

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


def _check_state(step, check):
    check_network_state(step, check)
    classes = getattr(step, "classes_inferred_", None)
    check.need(isinstance(classes, np.ndarray) and classes.ndim == 1
               and classes.size >= 2 and np.unique(classes).size == classes.size,
               "classes_inferred_ must be a 1-D array of at least 2 distinct labels")
    # skorch's classes_ is the parameter classes when it is set: it must be
    # the classes the network was trained on, in their order
    given = step.classes
    check.need(given is None or (np.asarray(given).dtype == classes.dtype
                                 and np.array_equal(np.asarray(given), classes)),
               f"the parameter classes={given!r} differs from the classes the "
               f"network was trained on ({classes.tolist()!r}, classes_inferred_)")
    weight = getattr(step, "class_weight_", None)
    check.need(weight is None or (isinstance(weight, np.ndarray)
                                  and weight.shape == classes.shape
                                  and weight.dtype.kind == "f"
                                  and np.isfinite(weight).all()
                                  and (weight >= 0).all()),
               "class_weight_ must be None or one finite, non-negative weight per "
               "class")


register(
    SERClassifier,
    dropped_params=("callbacks",),  # they act only during training
    parameter_classes=NETWORK_PARAMETER_CLASSES,
    rebuilt_attributes=SKORCH_ATTRIBUTES,
    is_fitted=network_is_fitted,
    validate=partial(check_loaded_params, losses=(torch.nn.CrossEntropyLoss,
                                                  torch.nn.NLLLoss)),
    check_state=_check_state,
    network=True,
)
