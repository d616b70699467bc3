"""Progress of the networks' training: lines with elapsed and remaining time.

:class:`Progress` is a skorch callback. Every fit prints a line at most
every :data:`INTERVAL` seconds, at the end of an epoch (with its loss and
validation score) or, for an epoch longer than that, within it; each line
gives the elapsed time and an estimate of what remains of the fit and of
the run (all the folds), so the first comes within the first epoch of a
long fit. A fit on the
CPU with the paper's recipe also prints, once, how long it will take,
estimated from the first epoch (from the epochs so far when epochs are
shorter than :data:`INTERVAL`). At the end of a fit, one line says what it
kept (:func:`training_summary`); an interrupted fit prints nothing more and
stops the command (:mod:`._interrupt`).
"""

import math
import time

from skorch.callbacks import Callback

from . import _interrupt
from ._common import duration, plural, say

__all__ = ["INTERVAL", "Progress", "RunClock", "training_summary"]

INTERVAL = 10.0
"""Seconds between two progress lines of a fit (at least)."""

#: The validation score of each network in its history: key, name, scale.
_VALIDATION_SCORES = (
    ("valid_wa_ua", "WA+UA", "scale 0-2: WA + UA of the validation split"),
    ("valid_ccc", "CCC", "scale -1 to 1: the mean over the targets of the CCC of "
     "the validation split"),
)


def training_summary(net, seconds):
    """One line on a finished fit: epochs, the kept epoch (``best_epoch_``) and its score."""
    history = net.history
    n = len(history)
    kept = getattr(net, "best_epoch_", None)
    row = history[kept - 1] if kept and 1 <= kept <= n else {}
    score = next((s for s in _VALIDATION_SCORES if s[0] in row), None)
    if score is not None:
        key, label, scale = score
        kept = (f"; kept epoch {kept} of {n}, validation {label} {row[key]:.3f} "
                f"({scale})")
    elif n and any(s[0] in history[-1] for s in _VALIDATION_SCORES):
        kept = f"; kept epoch {kept} of {n}"
    else:
        kept = "; no validation split, the last epoch is kept"
    loss = (f", last training loss {history[-1, 'train_loss']:.3f}"
            if n and "train_loss" in history[-1] else "")
    return f"  fit done: {plural(n, 'epoch')}{loss}{kept}, {seconds:.0f} s"


class RunClock:
    """What the fits of one run share: their number, order and durations.

    The command line gives one clock to the :class:`Progress` callback of a
    run (the folds of one model). scikit-learn's ``clone`` copies the
    callback's parameters once per fold, in the order of the folds, before
    the fold is fitted (in this process or in a worker); each copy of the
    clock is numbered then, so that a fit knows which fold it is even in a
    worker process. The durations of the finished fits are shared between
    the copies of one process.

    Parameters
    ----------
    n_fits : int, default=1
        The fits of the run (the folds).
    parallel : int, default=1
        How many run at the same time.
    paper_notice : bool, default=False
        Print once how long a fit will take (the paper's recipe on the CPU).
    """

    def __init__(self, n_fits=1, parallel=1, paper_notice=False):
        self.n_fits = n_fits
        self.parallel = max(1, parallel)
        self.paper_notice = paper_notice
        self.index = None
        # shared by the copies of one process
        self._shared = {"copies": 0, "notice": paper_notice, "durations": []}

    def __deepcopy__(self, memo):
        copy = object.__new__(RunClock)
        copy.__dict__.update(self.__dict__)
        copy.index = self._shared["copies"]
        self._shared["copies"] += 1
        return copy

    @property
    def durations(self):
        """Seconds of the fits of the run that finished (in this process)."""
        return self._shared["durations"]

    def take_notice(self):
        """Whether the paper recipe's notice is still to be printed (then not)."""
        due, self._shared["notice"] = self._shared["notice"], False
        return due

    @property
    def fold(self):
        """``"fold 2/5, "`` for a numbered fit of several, else ``""``."""
        if self.index is None or self.n_fits <= 1:
            return ""
        return f"fold {min(self.index, self.n_fits - 1) + 1}/{self.n_fits}, "

    def left_after(self, fit_seconds):
        """Seconds that the fits after this one will take, or None.

        Each remaining round of ``parallel`` fits is taken to last as long
        as the finished fits did on average (or ``fit_seconds``, this fit's
        projected length, before any finished).
        """
        if self.index is None or self.n_fits <= 1:
            return None
        per_fit = (sum(self.durations) / len(self.durations) if self.durations
                   else fit_seconds)
        after = max(0, self.n_fits - self.index - 1)
        return math.ceil(after / self.parallel) * per_fit


class Progress(Callback):
    """Progress lines of a fit, the paper recipe's notice, the summary line.

    Parameters
    ----------
    clock : RunClock or None, default=None
        The run the fit belongs to; None: a single fit.
    """

    def __init__(self, clock=None):
        self.clock = clock

    def _clock(self):
        return self.clock if self.clock is not None else RunClock()

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        self._t0 = self._last = time.perf_counter()
        self._epoch_t0 = self._t0
        self._seen = 0
        self._n_train = None

    def on_epoch_begin(self, net, dataset_train=None, **kwargs):
        self._epoch_t0 = time.perf_counter()
        self._seen = 0
        self._n_train = len(dataset_train) if dataset_train is not None else None

    def on_batch_end(self, net, batch=None, training=False, **kwargs):
        if not training:
            return
        try:
            self._seen += int(net.history[-1, "batches", -1, "train_batch_size"])
        except (KeyError, IndexError, TypeError, ValueError):
            self._seen += int(net.batch_size)
        now = time.perf_counter()
        # within an epoch only when it is long: short epochs report at their end
        if (now - self._last < INTERVAL or now - self._epoch_t0 < INTERVAL
                or not self._n_train or self._seen >= self._n_train):
            return  # (a finished epoch reports at its end)
        self._last = now
        done = len(net.history) - 1 + min(1.0, self._seen / self._n_train)
        self._report(net, now, done, f"epoch {len(net.history)}/{net.max_epochs} "
                     f"({self._seen} of {self._n_train} utterances)")

    def on_epoch_end(self, net, **kwargs):
        now = time.perf_counter()
        epoch = len(net.history)
        if now - self._last < INTERVAL and epoch < net.max_epochs:
            return
        self._last = now
        row = net.history[-1]
        scores = [f"loss {row['train_loss']:.3f}"] if "train_loss" in row else []
        scores += [f"validation {label} {row[key]:.3f}"
                   for key, label, _ in _VALIDATION_SCORES if key in row]
        self._report(net, now, epoch,
                     f"epoch {epoch}/{net.max_epochs}: {', '.join(scores)}")

    def _report(self, net, now, done, what):
        """One progress line: ``done`` epochs of ``net.max_epochs`` so far."""
        clock = self._clock()
        elapsed = now - self._t0
        total = elapsed * net.max_epochs / done if done > 0 else float("nan")
        left = max(0.0, total - elapsed)
        bound = "at most " if getattr(net, "patience", None) else "about "
        line = (f"  {clock.fold}{what}; {duration(elapsed)} elapsed, {bound}"
                f"{duration(left)} left")
        after = clock.left_after(total) if math.isfinite(total) else None
        if after is not None:
            line += f" ({duration(left + after)} for the {clock.n_fits} folds)"
        say(line)
        if math.isfinite(total) and clock.take_notice():
            epoch = (now - self._epoch_t0) * (self._n_train or 1) / max(self._seen, 1) \
                if done < 1 else total / net.max_epochs
            basis = "the first epoch" if done <= 1 else "the epochs so far"
            say(f"notice: the paper's recipe on the CPU: about {duration(total)} per "
                f"fit ({net.max_epochs} epochs of about {duration(epoch)}, estimated "
                f"from {basis}); --recipe fast trains the same architecture "
                "in minutes")

    def on_train_end(self, net, X=None, y=None, **kwargs):
        # skorch ends fit on Ctrl-C and calls this as if training had finished.
        _interrupt.check()
        seconds = time.perf_counter() - self._t0
        if self.clock is not None:
            self.clock.durations.append(seconds)
        say(training_summary(net, seconds))
