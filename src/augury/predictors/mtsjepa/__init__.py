"""The ``mtsjepa`` early-warning predictor: MTS-JEPA pre-training, then a risk head on frozen codes."""

from augury.base.registry import register

register("predictor", "mtsjepa", "augury.predictors.mtsjepa.predictor:MTSJEPAPredictor",
         "MTS-JEPA: multi-resolution JEPA + soft codebook pre-training, frozen-feature risk head",
         deep=True, family="jepa")
