"""VAN-AD (visual masked autoencoder + normalizing flow): imaging, masking, backbone, ADMM, flow, detector."""

from augury.base.registry import register

register("detector", "vanad", "augury.detectors.vanad.detector:VANAD",
         "VAN-AD: frozen ImageNet MAE reconstruction of a series heatmap + masked autoregressive flow (Chen et al.)",
         deep=True, needs_pretrained_weights=True, family="reconstruction")
