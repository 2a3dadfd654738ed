"""The hyper-parameters of the shared risk head (:mod:`augury.early_warning.head`) and their rules,
importable without torch so that predictors can declare them."""

from __future__ import annotations

from augury.base.params import Bool, Choice, Int, Rule

#: ``attention``: attention pooling over patches + focal loss (the official code's classifier);
#: ``mlp_bce``: flatten → MLP → sigmoid with BCE (the paper's wording).
CLASSIFIERS = ("attention", "mlp_bce")

HEAD_RULES: dict[str, Rule] = {
    "classifier": Choice(*CLASSIFIERS), "head_epochs": Int(1, 10_000), "head_patience": Int(1, 10_000),
    "restore_best": Bool(),
}
