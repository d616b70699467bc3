"""Visualisation of attention weights (scikit-learn Display style)."""

import numpy as np
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from ._audio import read_waveform
from ._paper import FRAME_STEP


class AttentionDisplay:
    """Attention weights of a fitted model over an utterance.

    Draws the waveform of an utterance (or, without a waveform, the frame
    energy) and, on a second y axis sharing the time axis, the weight the
    network's pooling gives to each valid frame.

    Create it with :meth:`from_estimator`; the constructor only stores the
    values to draw.

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
        Predicted label, shown in the title.
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
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(8, 3))
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
            :class:`~sklearn_ser.SERClassifier` (e.g. from
            :func:`~sklearn_ser.make_ser_pipeline`).
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
            The display.
        """
        if not isinstance(estimator, Pipeline):
            raise TypeError(
                "AttentionDisplay.from_estimator expects a fitted Pipeline ending in "
                f"an SERClassifier, got {type(estimator).__name__}."
            )
        clf = estimator.steps[-1][1]
        if not hasattr(clf, "attention_weights"):
            raise TypeError(
                "The last step of the pipeline has no attention_weights method; "
                "expected an SERClassifier."
            )
        check_is_fitted(clf)
        Xt = estimator[:-1].transform([audio])
        weights = clf.attention_weights(Xt)[0]
        proba = clf.predict_proba(Xt)[0]
        label = clf.classes_[int(np.argmax(proba))]
        if sampling_rate is None:
            sampling_rate = getattr(estimator.steps[0][1], "sampling_rate", None)
        if sampling_rate is None:
            raise ValueError(
                "sampling_rate is required: the first step of the pipeline has no "
                "sampling_rate attribute to take it from."
            )
        # read as the extractor reads it: same mixdown, resampling and errors
        waveform = read_waveform(audio, int(sampling_rate))
        times = np.arange(len(weights)) * FRAME_STEP
        display = cls(
            weights, times, waveform=waveform, sampling_rate=sampling_rate,
            label=label,
            probabilities={str(c): float(p) for c, p in zip(clf.classes_, proba,
                                                           strict=True)},
        )
        return display.plot(ax=ax, **kwargs)
