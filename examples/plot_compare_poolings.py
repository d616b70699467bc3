"""
=====================================================
Comparing the four poolings with GridSearchCV
=====================================================

The paper compares mean pooling with three attention poolings (Zhou et al.,
Yang et al. and its own LSTM attention). With scikit-learn this is a grid
search over ``classifier__attention``, with session-grouped folds and the
WA/UA scorers. The feature cache (``memory``) extracts every file once,
whatever the number of folds and candidates.
"""

# %%
import tempfile

import numpy as np
import pandas as pd
from sklearn.model_selection import GridSearchCV, GroupKFold

from sklearn_ser import SCORING, make_ser_pipeline
from sklearn_ser.datasets import make_emotional_speech

data = make_emotional_speech(n_samples=160, n_sessions=4, random_state=0)
cache = tempfile.mkdtemp()

# The fast recipe, made smaller still (fewer units, frames and epochs) so
# that the 16 fits of the search take about a minute.
pipe = make_ser_pipeline(
    recipe="fast", n_frames=250, memory=cache, hidden_units=32, lstm_units=16,
    attention_units=16, max_epochs=8, random_state=0,
)
search = GridSearchCV(
    pipe,
    {"classifier__attention": ["mean", "zhou", "yang", "lstm"]},
    scoring=SCORING,
    refit="UA",
    cv=GroupKFold(n_splits=4),
)
search.fit(list(data.data), data.target, groups=data.groups)

# %%
results = pd.DataFrame(search.cv_results_)[
    ["param_classifier__attention", "mean_test_WA", "std_test_WA",
     "mean_test_UA", "std_test_UA", "rank_test_UA"]
]
print(results.round(3).to_string(index=False))
print("best:", search.best_params_)
assert np.isfinite(results["mean_test_UA"]).all()

# %%
# WA and UA of each pooling: the mean over the four held-out sessions, and
# as error bars the standard deviation over these folds. Where the bars of
# two poolings overlap, their difference is within the spread between
# sessions; four folds of 40 utterances cannot tell them apart.
import matplotlib.pyplot as plt

x = np.arange(len(results))
fig, ax = plt.subplots(layout="constrained")
for k, metric in enumerate(["WA", "UA"]):
    ax.bar(x + (k - 0.5) * 0.38, results[f"mean_test_{metric}"], width=0.38,
           yerr=results[f"std_test_{metric}"], capsize=4, label=metric)
ax.axhline(0.25, color="k", linestyle=":", label="chance (UA)")
ax.set_xticks(x, results["param_classifier__attention"])
ax.set_ylim(0, 1)
ax.set_xlabel("pooling")
ax.set_ylabel("score (mean +- std over the folds)")
ax.legend()
