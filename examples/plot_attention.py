"""
================================
Looking at the attention weights
================================

The LSTM attention of the paper gives each frame a sigmoid weight computed
from the frame and its context. :class:`~sklearn_ser.AttentionDisplay` draws
the weights over the waveform of an utterance.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np

from sklearn_ser import AttentionDisplay, make_ser_pipeline
from sklearn_ser.datasets import make_emotional_speech

data = make_emotional_speech(n_samples=160, random_state=1)
train = data.groups != 5
pipe = make_ser_pipeline("lstm", recipe="fast", max_epochs=15, random_state=0)
pipe.fit([w for w, t in zip(data.data, train) if t], data.target[train])

# %%
# Two held-out utterances; silent pauses should get little weight.
fig, axes = plt.subplots(2, 1, figsize=(8, 5), constrained_layout=True)
for ax, idx in zip(axes, np.flatnonzero(~train)[:2]):
    display = AttentionDisplay.from_estimator(
        pipe, data.data[idx], sampling_rate=data.sampling_rate, ax=ax
    )
    ax.set_title(f"true: {data.target[idx]}, predicted: {display.label}")

# %%
# The weights themselves: one value per valid frame, summing to one.
# ``from_predictions`` draws weights computed already.
Xt = pipe[:-1].transform([data.data[idx]])
weights = pipe[-1].attention_weights(Xt)[0]
print(len(weights), "frames, sum of weights", round(float(weights.sum()), 3))
display = AttentionDisplay.from_predictions(
    weights, waveform=data.data[idx], sampling_rate=data.sampling_rate,
    probabilities=pipe[-1].predict_proba(Xt)[0], classes=pipe[-1].classes_,
)
