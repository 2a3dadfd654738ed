#!/usr/bin/env bash
# MSL per entity under TSB-AD's protocol (unsupervised detectors fit on the scored test span),
# beside the default protocol's leaderboard rows: is the gap to TSB-AD's published MSL rows the
# protocol? PRESET (default cpu) = paper gives TSB-AD's own hyper-parameters.
# Usage: AUGURY_DATA=<data> bash benchmarks/msl_entities_tsbad.sh <out-folder> [PRESET]
set -euo pipefail
out=${1:?usage: msl_entities_tsbad.sh OUT [PRESET]}
preset=${2:-cpu}
OMP_NUM_THREADS=1 augury bench --dataset MSL --fleet --protocol tsbad --preset "$preset" \
    --method kmeansad,knn,pca-tsbad,poly --workers 2 --out "$out"
