"""AMAD (AutoMasked Attention for anomaly detection): model, losses, training, scoring, detector."""

from augury.base.registry import register

register("detector", "amad", "augury.detectors.amad.detector:AMAD",
         "AMAD: AutoMask attention transformer with Max-Min and contrastive training (Huang & Li)",
         deep=True, family="reconstruction")
