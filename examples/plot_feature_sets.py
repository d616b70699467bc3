"""
=================================================
Choosing frame features: IS09, eGeMAPS, ComParE
=================================================

:class:`~sklearn_ser.LLDExtractor` computes one of three openSMILE feature
sets on the same 10 ms frame grid: the paper's 32 IS09 descriptors
(``feature_set="is09"``, the default), the 25 eGeMAPS v02 descriptors
(``"egemaps"``) or the 65 ComParE 2016 descriptors and their deltas
(``"compare"``). Every later step takes any number of features, so a
pipeline changes its features with one parameter,
``set_params(lld__feature_set=...)``.

This example compares the three sets with the functionals baseline
(statistics of the frames, logistic regression) under speaker
normalisation, leave-one-session-out on a small synthetic corpus, beside
the chance level. It takes well under a minute; the user guide has the
full benchmark with the network.
"""

# %%
# The frames of each set
# ----------------------
import tempfile
import time

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

from sklearn_ser import LLDExtractor, evaluate_sessions, make_baseline_pipeline
from sklearn_ser.datasets import make_emotional_speech

data = make_emotional_speech(n_samples=160, random_state=0)
X = pd.DataFrame({"audio": pd.Series(list(data.data), dtype=object),
                  "speaker": data.speakers})
seconds = sum(len(x) for x in data.data) / 16000
cache = tempfile.mkdtemp()  # features are extracted once per set
for name in ("is09", "egemaps", "compare"):
    lld = LLDExtractor(feature_set=name, memory=cache)
    start = time.perf_counter()
    frames = lld.transform(list(data.data))
    speed = seconds / (time.perf_counter() - start)
    names = lld.get_feature_names_out()
    print(f"{name:<8} {frames[0].shape[1]:>3} features, {frames[0].shape[0]} frames "
          f"for {len(data.data[0]) / 16000:.2f} s, {speed:.0f}x real time; "
          f"first: {names[0]}")

# %%
# The same baseline on each set, on the same folds
# ------------------------------------------------
results = {}
for name in ("is09", "egemaps", "compare"):
    pipe = make_baseline_pipeline(
        LogisticRegression(class_weight="balanced", max_iter=5000),
        normalization="speaker", memory=cache)
    pipe.set_params(lld__feature_set=name)
    results[name] = evaluate_sessions(pipe, X, data.target, data.groups, n_splits=5)

table = pd.DataFrame([{"feature set": n, "UA": r.ua_mean, "UA std": r.ua_std,
                       "WA": r.wa_mean} for n, r in results.items()])
print(table.round(3).to_string(index=False))
print("chance: UA 0.250")

# %%
# UA of each set
# --------------
# Bars: mean UA over the five held-out sessions; whiskers: the spread over
# the folds (one standard deviation); dotted line: chance.
import matplotlib.pyplot as plt

fig, ax = plt.subplots(figsize=(5, 3.2))
ax.bar(np.arange(len(table)), table["UA"], 0.6, yerr=table["UA std"], capsize=3)
ax.axhline(0.25, color="k", linestyle=":", label="chance")
ax.set_xticks(range(len(table)), table["feature set"])
ax.set_ylabel("UA (leave one session out)")
ax.set_ylim(0, 1)
ax.set_title("functionals + logistic regression, speaker normalisation", fontsize=9)
ax.legend(loc="upper left", fontsize=8)
plt.tight_layout()
