"""AMAD (AutoMasked Attention for anomaly detection): model, losses, training, scoring, detector."""
