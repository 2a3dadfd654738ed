"""LSTMAD: an LSTM encoder–decoder next-step forecaster scored by its forecast error (TSB-AD's LSTMAD)."""

from augury.base.registry import register

register("detector", "lstmad", "augury.detectors.lstmad.detector:LSTMAD",
         "LSTM encoder-decoder next-step forecaster; score = squared forecast error (TSB-AD's LSTMAD)",
         deep=True, supervision="semi-supervised", family="forecasting")
