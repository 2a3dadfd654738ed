"""VAN-AD (visual masked autoencoder + normalizing flow): imaging, masking, backbone, ADMM, flow, detector."""
