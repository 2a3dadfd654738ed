"""CNN: a 1-D convolutional next-step forecaster scored by its forecast error (TSB-AD's CNN)."""

from augury.base.registry import register

register("detector", "cnn", "augury.detectors.cnn.detector:CNN",
         "1-D CNN next-step forecaster; score = squared forecast error (TSB-AD's CNN)",
         deep=True, supervision="semi-supervised", family="forecasting")
