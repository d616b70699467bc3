"""The longest audio an entry point reads: ``max_duration`` and its checks.

What reading a file costs is bounded by the duration it holds, not by its
size; every entry point that reads audio (the extractors, the timeline)
checks a file's header before anything is decoded and the samples while
they are decoded against one :class:`DurationBound`.
"""

import math
import numbers

import numpy as np

from ._audio import BadInput

__all__ = ["MAX_DURATION", "DurationBound", "check_max_duration"]

MAX_DURATION = 3600.0
"""Default ``max_duration`` of the extractors, in seconds (1 hour).

A compressed file of a few megabytes can hold days of audio (10 hours of
silence at 48 kHz make a 6 MB FLAC file): what reading a file costs is
bounded by the duration it may hold, not by its size.
"""


def _seconds(seconds):
    text = f"{seconds:.1f} s"
    return text if seconds < 3600 else f"{text} ({seconds / 3600:.1f} h)"


class DurationBound:
    """The longest audio an entry point reads: its ``max_duration``.

    Parameters
    ----------
    seconds : float or None
        The bound in seconds; None: no bound. Checked here, for every entry
        point (:func:`check_max_duration`).
    owner : str
        The entry point whose ``max_duration`` it is, as errors name it
        (``"LLDExtractor"``, ``"predict_timeline"``).
    """

    def __init__(self, seconds, owner):
        self.seconds = check_max_duration(seconds)
        self.owner = owner

    def samples(self, rate):
        """The most samples at ``rate`` within the bound, or None (no bound)."""
        if self.seconds is None or not math.isfinite(self.seconds):
            return None
        return int(self.seconds * rate)

    def error(self, label, found):
        """The :class:`BadInput` of audio longer than the bound."""
        return BadInput(
            f"{label}: {found}, longer than max_duration={self.seconds:g} s of "
            f"{self.owner}; pass a larger max_duration, or max_duration=None for "
            "no bound (reading costs time and memory in proportion to the "
            "duration)."
        )

    def check(self, n, rate, label, what="holds"):
        """Raise :class:`BadInput` if ``n`` samples at ``rate`` exceed the bound.

        ``what`` says where ``n`` comes from: ``"holds"`` (the samples
        themselves) or ``"declares"`` (a file's header).
        """
        limit = self.samples(rate)
        if limit is not None and n > limit:
            subject = "its header declares" if what == "declares" else "it holds"
            raise self.error(label, f"{subject} {int(n)} samples at {rate} Hz "
                                    f"({_seconds(n / rate)})")


def check_max_duration(value, name="max_duration"):
    """``value`` as a float number of seconds, or None; the check of a parameter.

    Parameters
    ----------
    value : float or None
        A positive number of seconds, or None for no bound.
    name : str, default="max_duration"
        How messages name it.

    Returns
    -------
    seconds : float or None

    Raises
    ------
    TypeError
        If ``value`` is not a real number (a bool or a str is refused).
    ValueError
        If ``value`` is not positive (NaN included).

    Examples
    --------
    >>> from sklearn_ser.features._bounds import check_max_duration
    >>> check_max_duration(60), check_max_duration(None)
    (60.0, None)
    """
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number of seconds or None, got "
                        f"{value!r} of type {type(value).__name__}.")
    if not value > 0:
        raise ValueError(f"{name}={value!r} must be a positive number of seconds, "
                         "or None for no bound.")
    return float(value)
