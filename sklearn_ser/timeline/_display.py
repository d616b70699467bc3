"""Visualisation of an emotion timeline (scikit-learn Display style)."""

import os

import numpy as np

from .._compat import check_matplotlib_support
from ..features._audio import as_waveform
from ._segments import predict_timeline

__all__ = ["TimelineDisplay"]

_KINDS = ("probabilities", "labels")
_ENVELOPE_POINTS = 4000


class TimelineDisplay:
    """An emotion timeline over the recording it describes.

    Draws the waveform of the recording (its envelope: the largest absolute
    sample per pixel column) and, on the same time axis, either the
    probability of every class per segment (``kind="probabilities"``, on a
    second y axis, with the predicted labels as a coloured strip on top) or
    the predicted labels as coloured bands (``kind="labels"``); where windows
    overlap, each segment is drawn until the next one starts, and the time
    between segments (where the speech detector found no speech) stays
    empty. Reference
    labels, e.g. the true emotion of each utterance, are drawn as a strip at
    the bottom in the same colours.

    Create it with :meth:`from_estimator` (from a fitted pipeline and a
    recording) or :meth:`from_predictions` (from a table of
    :func:`~sklearn_ser.predict_timeline` or
    :class:`~sklearn_ser.StreamingRecognizer`); the constructor only stores
    the values to draw. A figure it creates itself uses matplotlib's
    constrained layout.

    Parameters
    ----------
    timeline : pandas.DataFrame
        Segments with the columns ``start``, ``end``, ``label`` and one
        probability column per class (the columns after ``label``).
    envelope : ndarray of shape (n_points,), default=None
        Largest absolute sample in each of ``n_points`` equal bins of the
        recording.
    duration : float, default=None
        Length of the recording in seconds (the time axis); by default the
        end of the last segment.
    true_labels : pandas.DataFrame or sequence of (start, end, label), \
            default=None
        Reference segments in seconds.

    Attributes
    ----------
    ax_ : matplotlib Axes
        Axes of the waveform (and of the bands).
    proba_ax_ : matplotlib Axes or None
        Twin axes of the probabilities (``kind="probabilities"``).
    figure_ : matplotlib Figure
        Figure of the plot.
    lines_ : dict of str to matplotlib Line2D
        The probability curve of each class (``kind="probabilities"``).
    bands_ : list of matplotlib Patch
        The bands of the predicted labels, one per segment.
    true_bands_ : list of matplotlib Patch
        The bands of ``true_labels``.
    colors_ : dict of str to color
        The colour of each class.

    See Also
    --------
    sklearn_ser.predict_timeline : Computes the timeline.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_ser import TimelineDisplay
    >>> timeline = pd.DataFrame({"start": [0.0, 1.0], "end": [2.015, 3.015],
    ...                          "label": ["ang", "sad"], "ang": [0.8, 0.3],
    ...                          "sad": [0.2, 0.7]})
    >>> display = TimelineDisplay(timeline).plot()
    >>> display.lines_["ang"].get_ydata().tolist()
    [0.8, 0.8, 0.3, 0.3]
    >>> len(display.bands_)
    2
    """

    def __init__(self, timeline, *, envelope=None, duration=None, true_labels=None):
        self.timeline = timeline
        self.envelope = envelope
        self.duration = duration
        self.true_labels = true_labels

    def plot(self, *, ax=None, kind="probabilities", colors=None, title=None):
        """Draw the timeline.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure if None.
        kind : {"probabilities", "labels"}, default="probabilities"
            Per-class probability curves, or coloured label bands.
        colors : dict of str to color, default=None
            Colour of each class; by default matplotlib's ``tab10`` colours
            in the order of the probability columns.
        title : str, default=None
            Title of the axes; by default the number of segments and the
            most frequent label.

        Returns
        -------
        display : TimelineDisplay
            The display, with the attributes of the plot.
        """
        check_matplotlib_support("TimelineDisplay.plot")
        import matplotlib.pyplot as plt

        if kind not in _KINDS:
            raise ValueError(f"kind must be one of {_KINDS}, got {kind!r}.")
        table = _check_timeline(self.timeline)
        classes = [str(c) for c in table.columns[3:]]
        truth = _check_true_labels(self.true_labels)
        self.colors_ = _colors(classes, truth, colors)
        if ax is None:
            fig, ax = plt.subplots(figsize=(10, 3.2), layout="constrained")
        self.ax_, self.figure_ = ax, ax.figure
        starts = table["start"].to_numpy(dtype=float)
        ends = table["end"].to_numpy(dtype=float)
        duration = self.duration
        if duration is None:
            duration = max([0.0, *ends.tolist(), *(e for _, e, _ in truth)])

        if self.envelope is not None:
            env = np.asarray(self.envelope, dtype=float)
            t = (np.arange(env.shape[0]) + 0.5) * duration / max(env.shape[0], 1)
            ax.fill_between(t, -env, env, color="0.7", linewidth=0)
            peak = float(env.max()) if env.size else 1.0
            ax.set_ylim(-1.15 * (peak or 1.0), 1.15 * (peak or 1.0))
            ax.set_ylabel("amplitude")
        else:
            ax.set_yticks([])
        ax.set_xlim(0, duration or 1.0)
        ax.set_xlabel("time (s)")

        self.bands_, self.lines_, self.proba_ax_ = [], {}, None
        labels = table["label"].astype(str).tolist()
        # overlapping windows: each segment is drawn until the next one starts
        step_ends = _step_ends(starts, ends)
        if kind == "labels":
            for s, e, label in zip(starts, step_ends, labels, strict=True):
                self.bands_.append(ax.axvspan(s, e, ymin=0.08, ymax=1.0, alpha=0.35,
                                              color=self.colors_[label], lw=0))
        else:
            for s, e, label in zip(starts, step_ends, labels, strict=True):
                self.bands_.append(ax.axvspan(s, e, ymin=0.93, ymax=1.0,
                                              color=self.colors_[label], lw=0))
            pax = ax.twinx()
            self.proba_ax_ = pax
            x, where = _steps(starts, step_ends)
            for c, column in zip(classes, table.columns[3:], strict=True):
                p = table[column].to_numpy(dtype=float)
                (line,) = pax.plot(x, _values(p, where), color=self.colors_[c],
                                   label=c, lw=1.5)
                self.lines_[c] = line
            pax.set_ylim(-0.1, 1.12)
            pax.set_ylabel("probability")

        self.true_bands_ = [ax.axvspan(s, e, ymin=0.0, ymax=0.06,
                                       color=self.colors_[label], lw=0)
                            for s, e, label in truth]
        handles = [plt.Rectangle((0, 0), 1, 1, color=self.colors_[c]) for c in
                   self.colors_]
        ax.legend(handles, list(self.colors_), loc="upper left", ncols=len(handles),
                  fontsize="small", framealpha=0.8, bbox_to_anchor=(0, 0.92))
        if title is None:
            if labels:
                values, counts = np.unique(labels, return_counts=True)
                title = (f"{len(labels)} segments, mostly {values[np.argmax(counts)]}"
                         + ("; bottom strip: reference labels" if truth else ""))
            else:
                title = "no segment"
        ax.set_title(title)
        return self

    @classmethod
    def from_estimator(cls, estimator, audio, *, sampling_rate=None, window=None,
                       hop=None, segmentation="vad", true_labels=None, ax=None,
                       kind="probabilities", **kwargs):
        """Compute and draw the timeline of a recording.

        Parameters
        ----------
        estimator : Pipeline
            A fitted pipeline whose first step is an
            :class:`~sklearn_ser.LLDExtractor` (see
            :func:`~sklearn_ser.predict_timeline`).
        audio : str, os.PathLike or array-like
            An audio file or a waveform.
        sampling_rate : int, default=None
            Sampling rate of a waveform (see
            :func:`~sklearn_ser.predict_timeline`).
        window, hop : float, default=None
            Window length and hop in seconds (see
            :func:`~sklearn_ser.predict_timeline`).
        segmentation : {"vad", "fixed"}, default="vad"
            See :func:`~sklearn_ser.predict_timeline`.
        true_labels : pandas.DataFrame or sequence of (start, end, label), \
                default=None
            Reference segments to draw below.
        ax : matplotlib Axes, default=None
            Axes to draw on.
        kind : {"probabilities", "labels"}, default="probabilities"
            See :meth:`plot`.
        **kwargs
            Passed to :meth:`plot`.

        Returns
        -------
        display : TimelineDisplay
        """
        table = predict_timeline(estimator, audio, sampling_rate=sampling_rate,
                                 window=window, hop=hop, segmentation=segmentation)
        rate = sampling_rate
        if rate is None and not isinstance(audio, (str, os.PathLike)):
            rate = int(estimator.steps[0][1].sampling_rate)
        envelope, duration = _envelope(audio, rate)
        return cls(table, envelope=envelope, duration=duration,
                   true_labels=true_labels).plot(ax=ax, kind=kind, **kwargs)

    @classmethod
    def from_predictions(cls, timeline, *, waveform=None, sampling_rate=None,
                         true_labels=None, ax=None, kind="probabilities", **kwargs):
        """Draw a timeline that is already computed.

        Parameters
        ----------
        timeline : pandas.DataFrame
            The table of :func:`~sklearn_ser.predict_timeline` (or the
            concatenated tables of a :class:`~sklearn_ser.StreamingRecognizer`).
        waveform : str, os.PathLike or array-like, default=None
            The recording (a file or its samples), drawn below.
        sampling_rate : int, default=None
            Sampling rate of an array ``waveform``; required with one.
        true_labels : pandas.DataFrame or sequence of (start, end, label), \
                default=None
            Reference segments to draw below.
        ax : matplotlib Axes, default=None
            Axes to draw on.
        kind : {"probabilities", "labels"}, default="probabilities"
            See :meth:`plot`.
        **kwargs
            Passed to :meth:`plot`.

        Returns
        -------
        display : TimelineDisplay
        """
        envelope = duration = None
        if waveform is not None:
            if sampling_rate is None and not isinstance(waveform, (str, os.PathLike)):
                raise ValueError("sampling_rate is required with an array waveform "
                                 "(the time axis is in seconds).")
            envelope, duration = _envelope(waveform, sampling_rate)
        return cls(timeline, envelope=envelope, duration=duration,
                   true_labels=true_labels).plot(ax=ax, kind=kind, **kwargs)


def _step_ends(starts, ends):
    """Where each segment's step ends: the next start when windows overlap."""
    out = ends.copy()
    if len(starts) > 1:
        out[:-1] = np.minimum(ends[:-1], np.maximum(starts[1:], starts[:-1]))
    return out


def _steps(starts, step_ends):
    """x of the step curves: each segment's start and end, a NaN in each gap.

    Returns ``(x, where)``; ``where`` is the segment of each point, -1 for
    the breaks, so that no line is drawn across the time without segments
    (no speech found there).
    """
    x, where = [], []
    for k, (s, e) in enumerate(zip(starts.tolist(), step_ends.tolist(),
                                   strict=True)):
        if k and s > step_ends[k - 1]:
            x.append(np.nan)
            where.append(-1)
        x += [s, e]
        where += [k, k]
    return np.asarray(x, dtype=float), np.asarray(where, dtype=np.int64)


def _values(p, where):
    return np.where(where >= 0, p[np.maximum(where, 0)], np.nan)


def _check_timeline(timeline):
    import pandas as pd

    if not isinstance(timeline, pd.DataFrame):
        raise TypeError(f"timeline must be a DataFrame of predict_timeline, got "
                        f"{type(timeline).__name__}.")
    if list(timeline.columns[:3]) != ["start", "end", "label"]:
        raise ValueError(
            f"timeline must have the columns 'start', 'end', 'label' and one per "
            f"class, as predict_timeline returns; got {list(timeline.columns)}."
        )
    return timeline


def _check_true_labels(true_labels):
    if true_labels is None:
        return []
    import pandas as pd

    if isinstance(true_labels, pd.DataFrame):
        missing = {"start", "end", "label"} - set(true_labels.columns)
        if missing:
            raise ValueError(f"true_labels lacks the columns {sorted(missing)}.")
        rows = zip(true_labels["start"], true_labels["end"], true_labels["label"],
                   strict=True)
    else:
        rows = true_labels
    out = []
    for k, row in enumerate(rows):
        try:
            s, e, label = row
            s, e = float(s), float(e)
        except (TypeError, ValueError):
            raise ValueError(f"true_labels[{k}] is {row!r}; expected (start, end, "
                             "label) with times in seconds.") from None
        out.append((s, e, str(label)))
    return out


def _colors(classes, truth, colors):
    import matplotlib as mpl

    names = list(classes) + sorted({label for _, _, label in truth} - set(classes))
    cycle = mpl.colormaps["tab10"].colors
    out = {c: cycle[k % len(cycle)] for k, c in enumerate(names)}
    if colors is not None:
        out.update({str(k): v for k, v in dict(colors).items()})
    return out


def _envelope(audio, sampling_rate, n_points=_ENVELOPE_POINTS):
    """Largest absolute sample per bin, and the duration; files read in blocks."""
    if isinstance(audio, (str, os.PathLike)):
        import soundfile as sf

        with sf.SoundFile(os.fspath(audio)) as f:
            n, rate = f.frames, f.samplerate
            bins = min(n_points, max(n, 1))
            edges = np.linspace(0, n, bins + 1).astype(np.int64)
            env = np.zeros(bins)
            pos = 0
            for block in f.blocks(blocksize=1 << 16, dtype="float32", always_2d=True):
                mono = np.abs(block.mean(axis=1))
                first = np.searchsorted(edges, pos, side="right") - 1
                last = np.searchsorted(edges, pos + len(mono), side="left")
                for b in range(max(first, 0), min(last, bins)):
                    a, z = max(edges[b], pos) - pos, min(edges[b + 1], pos + len(mono)) - pos
                    if z > a:
                        env[b] = max(env[b], float(mono[a:z].max()))
                pos += len(mono)
        return env, n / rate
    x = np.abs(as_waveform(audio, "waveform", clip=True).astype(np.float64))
    n = x.shape[0]
    if n == 0:
        return np.zeros(0), 0.0
    bins = min(n_points, n)
    edges = np.linspace(0, n, bins + 1).astype(np.int64)
    return np.maximum.reduceat(x, edges[:-1]), n / float(sampling_rate)
