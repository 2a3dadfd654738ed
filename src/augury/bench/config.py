"""What one benchmark run is (``RunSpec``), its stable config hash and the protocol constants."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any

from augury.utils.names import safe_name

#: Anomaly ratio (percent) of the Anomaly-Transformer threshold protocol, per dataset
#: (docs/protocols.md §4.3); datasets not listed use :data:`DEFAULT_ANOMALY_RATIO`.
ANOMALY_RATIO = {"MSL": 1.0, "SMAP": 1.0, "PSM": 1.0, "SWaT": 1.0, "SMD": 0.5}
DEFAULT_ANOMALY_RATIO = 1.0

#: Metric settings that change the numbers; they are part of every config hash.
VUS_WINDOW = 100
VUS_THRESHOLDS = 250
PA_THRESHOLD_PROTOCOL = "at_percentile(train+test scores, 100-ar)"

TASKS = ("detect", "predict")
#: Protocols of ``bench --protocol``: ``default`` fits every detector on the training series (and, for
#: ``--task predict``, splits the labelled series 6:2:2 as one chronological series); ``tsbad`` is
#: TSB-AD's (docs/benchmarks/tsbad_protocol.md; detect task): detectors tagged
#: ``supervision="unsupervised"`` fit on the whole scored series, the others on the training prefix, and
#: the VUS window is the channel-0 period of the scored series; ``entity-aware`` (predict task) splits
#: 6:2:2 within each entity of a collection or of a manifest's spans and pools the parts
#: (docs/methods/early_warning.md §6.2).
PROTOCOLS = ("default", "tsbad", "entity-aware")
#: the task each non-default protocol belongs to
PROTOCOL_TASK = {"tsbad": "detect", "entity-aware": "predict"}


def anomaly_ratio_for(dataset: str) -> float:
    """AT-protocol anomaly ratio (percent) of ``dataset``; a fleet entity ``SMD/x`` uses ``SMD``'s."""
    return ANOMALY_RATIO.get(dataset.split("/", 1)[0], DEFAULT_ANOMALY_RATIO)


def _canonical(obj: Any) -> Any:
    """JSON-ready form whose serialisation does not depend on dict order, tuples or numpy scalars."""
    if isinstance(obj, dict):
        return {str(k): _canonical(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_canonical(v) for v in obj]
    if hasattr(obj, "item") and callable(obj.item):  # numpy scalar
        return obj.item()
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    # Anything else (e.g. a strategy object) is hashed by its repr, which must then be stable.
    return repr(obj)


def stable_hash(obj: Any) -> str:
    """sha256 of the sorted-key JSON of ``obj``: identical across processes and ``PYTHONHASHSEED``."""
    text = json.dumps(_canonical(obj), sort_keys=True, separators=(",", ":"), allow_nan=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class RunSpec:
    """One (dataset, method, preset, task, seed) run with everything a worker needs.

    ``params`` are the *resolved* detector hyper-parameters (preset + seed), so the hash says
    exactly what ran. ``source`` is what the worker passes to ``load_dataset`` (a name under
    ``data_root`` or a path, e.g. one fleet entity's folder); ``dataset`` is the name shown in the
    results. ``target`` is the registry's ``"module:Class"``, so a worker process can rebuild a
    detector that was registered at run time in the driver.
    """

    dataset: str
    source: str
    data_root: str | None
    method: str
    target: str
    preset: str
    task: str
    seed: int
    params: dict[str, Any] = field(default_factory=dict)
    anomaly_ratio: float = DEFAULT_ANOMALY_RATIO
    vus_window: int = VUS_WINDOW
    vus_thresholds: int = VUS_THRESHOLDS
    #: a saved model to score instead of fitting (``bench --model DIR``): ``{"path": ..., "checksum": ...}``
    model: dict[str, str] | None = None
    #: imported test scores to evaluate (``bench --scores FILE``): ``{"path": ..., "checksum": ...}``
    scores: dict[str, str] | None = None
    #: fitting protocol (:data:`PROTOCOLS`); hashed only when not ``"default"``, so older run ids stay valid
    protocol: str = "default"
    #: early-warning sample labels (``next`` or ``onset``); hashed only when not ``"next"``
    label_mode: str = "next"

    def hashed_config(self) -> dict[str, Any]:
        """The part of the spec that determines the numbers (paths and import targets excluded;
        a saved model or imported scores file enters by its checksum, and only when given, so other hashes are unchanged)."""
        extra = {} if self.model is None else {"model_checksum": self.model["checksum"]}
        if self.scores is not None:
            extra["scores_checksum"] = self.scores["checksum"]
        if self.protocol != "default":
            extra["protocol"] = self.protocol
        if self.label_mode != "next":
            extra["label_mode"] = self.label_mode
        return {
            **extra,
            "dataset": self.dataset,
            "method": self.method,
            "preset": self.preset,
            "task": self.task,
            "seed": self.seed,
            "params": self.params,
            "metrics": {
                "anomaly_ratio": self.anomaly_ratio,
                "vus_window": self.vus_window,
                "vus_thresholds": self.vus_thresholds,
                "pa_threshold_protocol": PA_THRESHOLD_PROTOCOL,
            },
        }

    @property
    def config_hash(self) -> str:
        """Stable sha256 of :meth:`hashed_config`."""
        return stable_hash(self.hashed_config())

    @property
    def key(self) -> tuple[str, str, str, str, int, str]:
        """Resume key: a finished run with this key is not run again."""
        return (self.dataset, self.method, self.preset, self.task, self.seed, self.config_hash)

    @property
    def run_id(self) -> str:
        """File-name-safe unique name of the run (used for its scores and plot files)."""
        # Every part a user can name goes through the one safe-name rule (a method "../../X" must
        # not put the scores file outside --out).
        protocol = "" if self.protocol == "default" else f"__{safe_name(self.protocol)}"
        if self.label_mode != "next":
            protocol += f"__{safe_name(self.label_mode)}"
        return (f"{safe_name(self.dataset)}__{safe_name(self.method)}__{safe_name(self.preset)}__"
                f"{safe_name(self.task)}{protocol}__s{self.seed}__{self.config_hash[:10]}")

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (picklable and JSON-ready) for sending to a worker."""
        return asdict(self)
