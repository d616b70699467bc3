"""
=================================================
Baselines and speaker normalisation
=================================================

Every score of the network belongs beside a reference measured on the same
folds: the chance level, and a classic baseline, the statistics
(functionals) of the same 32 LLDs classified by an SVM. This example
evaluates both, leave-one-session-out, under the paper's neutral
normalisation and under speaker normalisation, which standardises every
speaker's frames with that speaker's own statistics (test speakers
included, from their unlabelled test utterances).

The speaker of each utterance travels with the audio in a pandas DataFrame,
so the same objects work in :func:`~sklearn.model_selection.cross_validate`
and :class:`~sklearn.model_selection.GridSearchCV`. The network uses the
library's fast recipe with fewer epochs (8 instead of 25) so that the
example runs in about a minute; its score is therefore below what the
recipe reaches (see the user guide for the full benchmark).
"""

# %%
# The corpus and the folds
# ------------------------
import tempfile

import numpy as np
import pandas as pd

from sklearn_ser import evaluate_sessions, make_baseline_pipeline, make_ser_pipeline
from sklearn_ser.datasets import make_emotional_speech

data = make_emotional_speech(n_samples=200, random_state=0)
cache = tempfile.mkdtemp()  # features are extracted once for every model
X = list(data.data)
X_speakers = pd.DataFrame({"audio": pd.Series(X, dtype=object),
                           "speaker": data.speakers})
print(len(X), "utterances,", len(set(data.speakers)), "speakers,",
      len(set(data.groups)), "sessions")

# %%
# Four evaluations on the same five folds
# ---------------------------------------
models = {
    ("functionals + SVM", "neutral"): (make_baseline_pipeline(memory=cache), X),
    ("functionals + SVM", "speaker"): (
        make_baseline_pipeline(normalization="speaker", memory=cache), X_speakers),
    ("lstm network", "neutral"): (
        make_ser_pipeline("lstm", recipe="fast", memory=cache, max_epochs=8,
                          random_state=0), X),
    ("lstm network", "speaker"): (
        make_ser_pipeline("lstm", normalization="speaker", recipe="fast",
                          memory=cache, max_epochs=8, random_state=0), X_speakers),
}
results = {}
for (model, normalization), (pipe, X_model) in models.items():
    results[model, normalization] = evaluate_sessions(
        pipe, X_model, data.target, data.groups, n_splits=5)

table = pd.DataFrame(
    [{"model": m, "normalization": n, "UA": r.ua_mean, "UA std": r.ua_std,
      "WA": r.wa_mean} for (m, n), r in results.items()]
)
print(table.round(3).to_string(index=False))
print("chance: UA 0.250")

# %%
# Speaker normalisation helps every model
# ---------------------------------------
# Bars: mean UA over the five held-out sessions; whiskers: the spread over
# the folds (one standard deviation); dotted line: chance.
import matplotlib.pyplot as plt

fig, ax = plt.subplots(figsize=(6, 3.5))
width = 0.38
for k, normalization in enumerate(("neutral", "speaker")):
    rows = table[table["normalization"] == normalization]
    ax.bar(np.arange(len(rows)) + (k - 0.5) * width, rows["UA"], width,
           yerr=rows["UA std"], capsize=3, label=f"{normalization} normalisation")
ax.axhline(0.25, color="k", linestyle=":", label="chance")
ax.set_xticks(range(2), ["functionals + SVM", "lstm network (8 epochs)"])
ax.set_ylabel("UA (leave one session out)")
ax.set_ylim(0, 1)
ax.legend(loc="upper left", fontsize=8)
plt.tight_layout()
