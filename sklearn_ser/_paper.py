"""The numbers the library takes from the paper, in one place.

The estimators' defaults, the frame grid of the features and the benchmarks
read them here (section 3 of the paper: openSMILE LLDs over 25 ms windows
every 10 ms, 500 frames per utterance, three fully connected layers of 256
units, a BiLSTM of 128 units per direction, dropout keep probability 0.9,
white noise of variance 0.4, Adam with learning rate 3e-5, L2 factor 5e-2,
batches of 32, 200 epochs).
"""

ATTENTIONS = ("mean", "zhou", "yang", "lstm")
"""Poolings over time: mean pooling and the three attention mechanisms."""

FRAME_WINDOW = 0.025
"""Length of the analysis window of one feature frame, in seconds."""

FRAME_STEP = 0.010
"""Time between the starts of two feature frames, in seconds."""

N_FRAMES = 500
"""Frames per utterance after padding or cropping (5 s)."""

HIDDEN_UNITS = 256
"""Units of each of the three frame-wise fully connected layers."""

LSTM_UNITS = 128
"""Units per direction of the BiLSTM."""

ATTENTION_UNITS = 128
"""Units per direction of the attention BiLSTM."""

DROPOUT = 0.1
"""Dropout probability (the paper's keep probability 0.9)."""

NOISE_VARIANCE = 0.4
"""Variance of the white noise added to the normalised training inputs."""

LR = 3e-5
"""Learning rate of Adam."""

L2 = 5e-2
"""L2 factor, TensorFlow style (``gamma * sum(w ** 2) / 2`` added to the loss)."""

BATCH_SIZE = 32
"""Utterances per training batch."""

MAX_EPOCHS = 200
"""Training epochs."""

PAPER_TABLE1 = {
    "mean": {"full": (60.5, 58.3), "improvised": (62.2, 63.3)},
    "zhou": {"full": (60.7, 58.7), "improvised": (64.7, 62.4)},
    "yang": {"full": (61.2, 58.4), "improvised": (64.8, 64.1)},
    "lstm": {"full": (62.5, 59.6), "improvised": (68.8, 63.7)},
}
"""WA / UA (%) of Table 1 of the paper: pooling -> subset -> (WA, UA)."""
