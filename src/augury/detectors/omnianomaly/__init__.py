"""OmniAnomaly: a GRU variational auto-encoder reconstructing windows (Su et al. 2019; TSB-AD's OmniAnomaly)."""

from augury.base.registry import register

register("detector", "omnianomaly", "augury.detectors.omnianomaly.detector:OmniAnomaly",
         "OmniAnomaly: GRU + VAE window reconstruction; score = reconstruction error (Su et al.; TSB-AD's version)",
         deep=True, supervision="semi-supervised", family="reconstruction")
