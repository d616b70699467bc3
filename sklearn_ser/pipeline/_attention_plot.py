"""Visualisation of attention weights (scikit-learn Display style)."""

import numpy as np
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from .._compat import check_matplotlib_support
from .._paper import FRAME_STEP
from ..features._audiofile import read_waveform
from ._describe import describe_pipeline


class AttentionDisplay:
    """Attention weights of a fitted model over an utterance.

    Draws the waveform of an utterance (or, without a waveform, the frame
    energy) and, on a second y axis sharing the time axis, the weight the
    network's pooling gives to each valid frame.

    Create it with :meth:`from_estimator` (from a fitted pipeline and an
    utterance) or :meth:`from_predictions` (from attention weights already
    computed, e.g. by :meth:`SERClassifier.attention_weights
    <sklearn_ser.SERClassifier.attention_weights>`); the constructor only
    stores the values to draw. A figure it creates itself uses matplotlib's
    constrained layout, so a plain ``figure_.savefig(path)`` keeps the axis
    labels and the title inside the image.

    Parameters
    ----------
    weights : ndarray of shape (n_frames,)
        Attention weight of each frame.
    frame_times : ndarray of shape (n_frames,)
        Start time of each frame in seconds.
    waveform : ndarray of shape (n_samples,), default=None
        Audio samples to draw below the weights.
    sampling_rate : int, default=None
        Sampling rate of ``waveform``.
    label : str, default=None
        Predicted label (or a regressor's predicted values), shown in the
        title.
    probabilities : dict, default=None
        Class probabilities, shown in the title.

    Attributes
    ----------
    ax_ : matplotlib Axes
        Axes of the waveform.
    weights_ax_ : matplotlib Axes
        Twin axes of the weights.
    figure_ : matplotlib Figure
        Figure of the plot.
    line_ : matplotlib Line2D
        The weights' curve.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ser import AttentionDisplay
    >>> weights = np.full(100, 0.01)
    >>> display = AttentionDisplay(weights, np.arange(100) * 0.01)
    >>> display = display.plot()
    >>> display.line_.get_ydata().shape
    (100,)
    """

    def __init__(self, weights, frame_times, *, waveform=None, sampling_rate=None,
                 label=None, probabilities=None):
        self.weights = weights
        self.frame_times = frame_times
        self.waveform = waveform
        self.sampling_rate = sampling_rate
        self.label = label
        self.probabilities = probabilities

    def plot(self, *, ax=None, color="tab:red", waveform_color="0.6"):
        """Draw the waveform and the attention weights.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure is created if None.
        color : str, default="tab:red"
            Colour of the weights' curve.
        waveform_color : str, default="0.6"
            Colour of the waveform.

        Returns
        -------
        display : AttentionDisplay
            The display, with ``ax_``, ``weights_ax_``, ``figure_`` and
            ``line_``.
        """
        check_matplotlib_support("AttentionDisplay.plot")
        import matplotlib.pyplot as plt

        if ax is None:
            # constrained layout: the labels stay inside the figure, also when
            # it is saved without bbox_inches="tight"
            _, ax = plt.subplots(figsize=(8, 3), layout="constrained")
        if self.waveform is not None:
            if not self.sampling_rate:
                raise ValueError("sampling_rate is required to draw a waveform.")
            wave = np.asarray(self.waveform)
            t = np.arange(wave.shape[0]) / self.sampling_rate
            ax.plot(t, wave, color=waveform_color, linewidth=0.5)
            ax.set_ylabel("amplitude")
        ax.set_xlabel("time (s)")
        wax = ax.twinx()
        (self.line_,) = wax.plot(self.frame_times, self.weights, color=color,
                                 linewidth=1.5)
        wax.set_ylabel("attention weight", color=color)
        wax.set_ylim(bottom=0)
        title = "attention weights"
        if self.label is not None:
            title += f" - predicted: {self.label}"
        if self.probabilities:
            probs = ", ".join(f"{k} {v:.2f}" for k, v in self.probabilities.items())
            title += f" ({probs})"
        ax.set_title(title, fontsize=9)
        self.ax_ = ax
        self.weights_ax_ = wax
        self.figure_ = ax.figure
        return self

    @classmethod
    def from_estimator(cls, estimator, audio, *, sampling_rate=None, ax=None,
                       **kwargs):
        """Compute and draw the attention weights of a fitted pipeline.

        Parameters
        ----------
        estimator : sklearn.pipeline.Pipeline
            Fitted pipeline whose last step is a
            :class:`~sklearn_ser.SERClassifier` or a
            :class:`~sklearn_ser.SERRegressor` (e.g. from
            :func:`~sklearn_ser.make_ser_pipeline`). The title shows a
            classifier's predicted label and probabilities, a regressor's
            predicted values (one per target, e.g. valence, arousal,
            dominance).
        audio : str, path-like or ndarray of shape (n_samples,)
            One utterance: a wav path or a waveform at the pipeline's
            sampling rate.
        sampling_rate : int, default=None
            Sampling rate of a waveform, and the rate at which a file is drawn
            (read, mixed down and resampled as :class:`~sklearn_ser.LLDExtractor`
            reads it, with the same errors); defaults to the ``sampling_rate``
            of the pipeline's first step.
        ax : matplotlib Axes, default=None
            Axes to draw on.
        **kwargs
            Passed to :meth:`plot`.

        Returns
        -------
        display : AttentionDisplay
            The display. Its time axis is that of the first step's frames:
            10 ms apart for the openSMILE sets, 20 ms for an
            :class:`~sklearn_ser.EncoderExtractor` (see
            :func:`~sklearn_ser.describe_pipeline`).
        """
        if not isinstance(estimator, Pipeline):
            raise TypeError(
                "AttentionDisplay.from_estimator expects a fitted Pipeline ending in "
                f"an SERClassifier or an SERRegressor, got "
                f"{type(estimator).__name__}."
            )
        kind = describe_pipeline(estimator)
        net = kind.network
        if net is None:
            raise TypeError(
                f"The last step of the pipeline is {type(kind.final).__name__}, which "
                "has no attention weights; expected an SERClassifier or an "
                "SERRegressor."
            )
        check_is_fitted(net)
        Xt = estimator[:-1].transform([audio])
        weights = net.attention_weights(Xt)[0]
        if kind.task == "regression":
            values = np.atleast_1d(np.asarray(net.predict(Xt))[0])
            predictions = {"label": ", ".join(f"{v:.2f}" for v in values)}
        else:
            predictions = {"probabilities": net.predict_proba(Xt)[0],
                           "classes": net.classes_}
        if sampling_rate is None:
            sampling_rate = kind.sampling_rate
        if sampling_rate is None:
            raise ValueError(
                "sampling_rate is required: the first step of the pipeline has no "
                "sampling_rate attribute to take it from."
            )
        # read as the extractor reads it: same mixdown, resampling and errors
        waveform = read_waveform(audio, int(sampling_rate))
        frame_step = kind.frame_step if kind.frame_step is not None else FRAME_STEP
        return cls.from_predictions(
            weights, waveform=waveform, sampling_rate=sampling_rate,
            frame_step=frame_step, ax=ax, **predictions, **kwargs,
        )

    @classmethod
    def from_predictions(cls, weights, *, waveform=None, sampling_rate=None,
                         label=None, probabilities=None, classes=None,
                         frame_step=FRAME_STEP, ax=None, **kwargs):
        """Draw attention weights that are already computed.

        Parameters
        ----------
        weights : array-like of shape (n_frames,)
            Attention weight of each valid frame of one utterance, e.g.
            ``clf.attention_weights(X)[i]`` of a fitted
            :class:`~sklearn_ser.SERClassifier`.
        waveform : array-like of shape (n_samples,), default=None
            The utterance's audio, drawn below the weights.
        sampling_rate : int, default=None
            Sampling rate of ``waveform``; required with a waveform.
        label : str, default=None
            Predicted label for the title; by default the class of the
            highest probability when ``probabilities`` are given.
        probabilities : dict or array-like of shape (n_classes,), default=None
            Class probabilities for the title: a ``{class: probability}``
            dict, or the row of ``predict_proba`` together with ``classes``.
        classes : array-like of shape (n_classes,), default=None
            Classes of an array of ``probabilities`` (``clf.classes_``).
        frame_step : float, default=0.01
            Seconds between the starts of two frames (the extractor's
            10 ms).
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure is created if None.
        **kwargs
            Passed to :meth:`plot`.

        Returns
        -------
        display : AttentionDisplay
            The display.

        Raises
        ------
        ValueError
            If ``weights`` is not a non-empty 1-D array of finite values, a
            waveform comes without a positive ``sampling_rate``, or
            ``probabilities`` and ``classes`` do not match.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_ser import AttentionDisplay
        >>> weights = np.r_[np.full(50, 0.004), np.full(50, 0.016)]
        >>> display = AttentionDisplay.from_predictions(
        ...     weights, probabilities=[0.2, 0.8], classes=["ang", "sad"])
        >>> display.label, display.frame_times[-1]
        ('sad', np.float64(0.99))
        """
        weights = _check_weights(weights)
        if waveform is not None:
            waveform = np.asarray(waveform)
            if waveform.ndim != 1 or waveform.dtype.kind not in "biuf":
                raise ValueError(
                    "waveform must be a 1-D array of samples, got an array of "
                    f"shape {waveform.shape} and dtype {waveform.dtype}."
                )
            if (sampling_rate is None or isinstance(sampling_rate, bool)
                    or not np.isscalar(sampling_rate) or not sampling_rate > 0):
                raise ValueError(
                    "sampling_rate is required to draw a waveform: give its "
                    f"sampling rate in Hz (> 0), got {sampling_rate!r}."
                )
        if not np.isscalar(frame_step) or not frame_step > 0:
            raise ValueError(
                f"frame_step must be a positive number of seconds, got {frame_step!r}."
            )
        probabilities = _check_probabilities(probabilities, classes)
        if label is None and probabilities:
            label = max(probabilities, key=probabilities.get)
        times = np.arange(weights.shape[0]) * float(frame_step)
        display = cls(weights, times, waveform=waveform,
                      sampling_rate=sampling_rate, label=label,
                      probabilities=probabilities)
        return display.plot(ax=ax, **kwargs)


def _check_weights(weights):
    try:
        weights = np.asarray(weights, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(
            "weights must be a 1-D array of the attention weights of one "
            "utterance, e.g. clf.attention_weights(X)[0]."
        ) from None
    if weights.ndim != 1 or weights.shape[0] == 0:
        raise ValueError(
            "weights must be a non-empty 1-D array (the attention weights of one "
            f"utterance, e.g. clf.attention_weights(X)[0]), got shape "
            f"{weights.shape}."
        )
    bad = np.flatnonzero(~np.isfinite(weights))
    if bad.size:
        raise ValueError(
            f"weights[{bad[0]}] is {weights[bad[0]]}; attention weights must be "
            "finite."
        )
    return weights


def _check_probabilities(probabilities, classes):
    """``{class: probability}`` (or None) from a dict or an array and classes."""
    if probabilities is None:
        if classes is not None:
            raise ValueError("classes is given without probabilities.")
        return None
    if isinstance(probabilities, dict):
        if classes is not None:
            raise ValueError(
                "classes is given with a dict of probabilities, which names its "
                "classes already; give one or the other."
            )
        return {str(k): float(v) for k, v in probabilities.items()}
    proba = np.asarray(probabilities, dtype=float)
    if classes is None:
        raise ValueError(
            "probabilities is an array: give its classes too (classes="
            "clf.classes_), or pass a {class: probability} dict."
        )
    classes = np.asarray(classes)
    if proba.ndim != 1 or classes.ndim != 1 or proba.shape != classes.shape:
        raise ValueError(
            f"probabilities (shape {proba.shape}) and classes (shape "
            f"{classes.shape}) must be 1-D and of the same length."
        )
    return {str(c): float(p) for c, p in zip(classes, proba, strict=True)}
