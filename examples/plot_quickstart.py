"""
===========
Quick start
===========

Fit the speech emotion recognition pipeline on audio, predict emotions and
score the predictions with the paper's WA and UA metrics.

The training budget is the library's fast recipe (a scaled-down network,
few epochs, a larger learning rate with a cosine schedule, no L2) so the
example runs in about a minute on a laptop CPU; the paper's values are the
estimator's defaults (``recipe="paper"``).
"""

# %%
# A corpus of emotional speech
# ----------------------------
# :func:`~sklearn_ser.datasets.make_emotional_speech` synthesises speech-like
# utterances whose prosody (pitch level and range, tempo, loudness, spectral
# tilt, jitter) depends on the emotion, spoken by two speakers per session.
import numpy as np

from sklearn_ser import SCORING, make_ser_pipeline
from sklearn_ser.datasets import make_emotional_speech

data = make_emotional_speech(n_samples=200, random_state=0)
print(len(data.data), "utterances at", data.sampling_rate, "Hz")
print(dict(zip(*np.unique(data.target, return_counts=True))))

# %%
# Hold out one session
# --------------------
# Never let a speaker appear both in training and test data: hold out whole
# sessions.
train = data.groups != 5
X_train = [w for w, t in zip(data.data, train) if t]
X_test = [w for w, t in zip(data.data, train) if not t]
y_train, y_test = data.target[train], data.target[~train]

# %%
# The pipeline
# ------------
# openSMILE LLDs -> pad/crop with NaN -> neutral normalisation -> BiLSTM with
# the paper's LSTM attention.
pipe = make_ser_pipeline("lstm", recipe="fast", random_state=0)
pipe.fit(X_train, y_train)

# %%
# Scores, beside a baseline and chance
# ------------------------------------
# The functionals + SVM baseline on the same split; chance is 0.25 UA.
from sklearn_ser import make_baseline_pipeline

baseline = make_baseline_pipeline().fit(X_train, y_train)
for name, scorer in SCORING.items():
    print(f"{name}: network {scorer(pipe, X_test, y_test):.3f}, "
          f"baseline {scorer(baseline, X_test, y_test):.3f}")
print(pipe.predict_proba(X_test[:3]).round(3))

# %%
# Where the errors are
# --------------------
# The confusion matrix, normalised per true class.
from sklearn.metrics import ConfusionMatrixDisplay

ConfusionMatrixDisplay.from_estimator(pipe, X_test, y_test, normalize="true",
                                      values_format=".2f", cmap="Blues")
