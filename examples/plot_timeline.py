"""
=====================================
Emotion over a long recording
=====================================

A model of the library classifies one utterance. A call, a meeting or an
interview is one long recording in which the emotion changes:
:func:`~sklearn_ser.predict_timeline` turns a fitted pipeline into a table of
segments with their times, labels and class probabilities, and
:class:`~sklearn_ser.TimelineDisplay` draws it over the waveform.

Here a two-minute recording is assembled from held-out utterances of the
synthetic corpus, so the true emotion of every second is known. The model is
the functionals baseline with a logistic regression (any classifier with
``predict_proba`` works after the :class:`~sklearn_ser.LLDExtractor`; the
network of :func:`~sklearn_ser.make_ser_pipeline` works the same way, it
only takes longer to train).
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

from sklearn_ser import (
    StreamingRecognizer,
    TimelineDisplay,
    make_baseline_pipeline,
    predict_timeline,
)
from sklearn_ser.datasets import make_emotional_speech

data = make_emotional_speech(n_samples=224, n_sessions=2, random_state=0)
sr = data.sampling_rate
pipe = make_baseline_pipeline(LogisticRegression(C=0.1, max_iter=3000))
pipe.fit(data.data[:200], data.target[:200])

# %%
# The recording: the 24 held-out utterances, with 1-2 s of quiet between
# them (a faint noise floor, as in a real recording).
rng = np.random.default_rng(0)
parts, truth, pos = [], [], 0
for wave, label in zip(data.data[200:], data.target[200:]):
    gap = int(rng.uniform(1.0, 2.0) * sr)
    parts += [rng.normal(0, 3e-4, gap).astype(np.float32), wave]
    truth.append(((pos + gap) / sr, (pos + gap + len(wave)) / sr, label))
    pos += gap + len(wave)
recording = np.concatenate(parts)
truth = pd.DataFrame(truth, columns=["start", "end", "label"])
print(f"recording of {len(recording) / sr:.0f} s, {len(truth)} utterances")

# %%
# The timeline. With ``segmentation="vad"`` (the default) only the speech
# regions are classified; a region longer than the window is cut into
# windows every ``hop`` seconds. The default window is the length the model
# was trained on (5 s here: this pipeline has no PadCrop, so the paper's 500
# frames).
timeline = predict_timeline(pipe, recording, sampling_rate=sr)
print(timeline.head().round(3).to_string())

# %%
# The probabilities of every class over the waveform; the strip on top holds
# the predicted labels, the strip at the bottom the true ones.
fig, axes = plt.subplots(2, 1, figsize=(11, 6), layout="constrained")
TimelineDisplay.from_predictions(timeline, waveform=recording, sampling_rate=sr,
                                 true_labels=truth, ax=axes[0])
axes[0].set_xlim(0, 60)
TimelineDisplay.from_predictions(timeline, waveform=recording, sampling_rate=sr,
                                 true_labels=truth, ax=axes[1], kind="labels",
                                 title="label bands, 60-120 s")
axes[1].set_xlim(60, 120)
plt.show()

# %%
# How often does the timeline say what the model says of each utterance
# alone? Per utterance, the label of the segments that overlap it longest.


def majority(table, start, end):
    overlap = (np.minimum(table["end"], end) - np.maximum(table["start"], start))
    votes = overlap.clip(lower=0).groupby(table["label"]).sum()
    return votes.idxmax() if votes.max() > 0 else None


voted = [majority(timeline, s, e) for s, e in zip(truth["start"], truth["end"])]
alone = pipe.predict(list(data.data[200:]))
print(f"timeline vs predict on the utterance alone: "
      f"{np.mean([a == b for a, b in zip(voted, alone)]):.0%} agree; accuracy "
      f"{np.mean(np.asarray(voted) == truth['label']):.0%} (timeline), "
      f"{np.mean(alone == truth['label']):.0%} (alone)")

# %%
# The same segments from a stream: :class:`~sklearn_ser.StreamingRecognizer`
# takes the audio in pieces of any size (here 100 ms, as a sound card
# delivers it) and gives out each segment once its frames are final. With
# fixed windows it equals the offline timeline.
stream = StreamingRecognizer(pipe, window=4.0, hop=2.0)
pieces = [stream.feed(recording[i:i + sr // 10])
          for i in range(0, len(recording), sr // 10)]
streamed = pd.concat([*pieces, stream.flush()], ignore_index=True)
offline = predict_timeline(pipe, recording, window=4.0, hop=2.0,
                           segmentation="fixed")
classes = list(pipe.classes_)
print(f"{len(streamed)} streamed segments, largest difference to offline: "
      f"{np.abs(streamed[classes].to_numpy() - offline[classes].to_numpy()).max():.1e}")
