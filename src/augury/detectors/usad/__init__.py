"""USAD: adversarially trained twin auto-encoders on flattened windows (Audibert et al. 2020; TSB-AD's USAD)."""

from augury.base.registry import register

register("detector", "usad", "augury.detectors.usad.detector:USAD",
         "USAD: twin auto-encoders on flattened windows; score = 0.1·AE1 + 0.9·AE2(AE1) error (Audibert et al.)",
         deep=True, supervision="semi-supervised", family="reconstruction")
