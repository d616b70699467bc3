"""Settings shared by the test modules."""

TINY_NET = dict(
    hidden_units=8,
    lstm_units=4,
    attention_units=4,
    lr=1e-2,
    l2=0.0,
    max_epochs=2,
    batch_size=8,
    random_state=0,
    device="cpu",
)
"""A tiny, fast SERClassifier configuration that still learns."""
