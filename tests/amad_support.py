"""Shared by the AMAD tests."""

#: Small enough to fit in about a second on two busy cores, large enough to learn the seasonality.
TINY = dict(
    d_model=32,
    n_layers=1,
    n_heads=2,
    train_stride=3,
    epochs=2,
    lr=3e-3,
    batch_size=32,
    max_train_windows=None,
    train_score_stride=100,
    autocast="none",
    progress=False,
)
