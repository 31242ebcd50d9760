#!/bin/bash
# The pruning / clustering table of docs/pruning-clustering.md: raw and compressed sizes against the float32 model,
# and fidelity on held-out synthetic images, for hand_landmark_full and pose_landmark_full.
#   bash benchmarks/compression/table.sh WORK_DIR   (needs the corpus: MBT_CORPUS_DIR or tests/corpus/.cache)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
work=${1:?usage: table.sh WORK_DIR}
corpus=${MBT_CORPUS_DIR:-$repo/tests/corpus/.cache}
mkdir -p "$work" && cd "$work"
dotnet build "$repo/src/ModelBuildTasks.Cli" -c Release -o "$work/mbt" -nologo -v q >/dev/null
mbt="$work/mbt/mbt"

row() { # model calibration-dir evaluation-dir label optimize-arguments...
  local model=$1 calibration=$2 evaluation=$3 label=$4; shift 4
  local out="${model}_${label}.tflite"
  "$mbt" optimize "$corpus/$model.tflite" -o "$out" "$@" --report "$out.json" >/dev/null 2>&1
  "$mbt" evaluate "$model.float32.tflite" "$out" --data "$evaluation" --no-layers --json > "$out.eval.json" 2>/dev/null
  python3 - "$out.json" "$(stat -c%s "$model.float32.tflite")" "$model" "$label" "$out.eval.json" <<'PY'
import json, sys
report, float32, model, label = json.load(open(sys.argv[1])), int(sys.argv[2]), sys.argv[3], sys.argv[4]
evaluation = json.load(open(sys.argv[5]))
size = report["output"]
main = next(o for o in evaluation["outputs"] if o["name"] == "Identity")
def fmt(v, spec): return "–" if v is None else format(v, spec)
print(f"| {model} | {label} | {size['bytes']:,} | {size['bytes'] / float32:.3f} | {size['gzipBytes'] / float32:.3f} "
      f"| {size['brotliBytes'] / float32:.3f} | {fmt(main['cosine'], '.4f')} | {fmt(main['sqnrDb'], '.1f')} "
      f"| {fmt(evaluation['minCosine'], '.3f')} |")
PY
}

echo "| model | optimization | bytes | raw | gzip | Brotli | landmarks cosine | landmarks SQNR dB | min cosine, all outputs |"
echo "|---|---|---|---|---|---|---|---|---|"
for model in hand_landmark_full pose_landmark_full; do
  size=$([ $model = hand_landmark_full ] && echo 224 || echo 256)
  [ -d "calibration$size" ] || python3 "$here/synthetic_images.py" "$size" 1000 4 "calibration$size"
  [ -d "evaluation$size" ] || python3 "$here/synthetic_images.py" "$size" 2000 4 "evaluation$size"
  "$mbt" optimize "$corpus/$model.tflite" -o "$model.float32.tflite" --optimization float32 >/dev/null
  cal="calibration$size" ev="evaluation$size"
  row $model $cal $ev int8 --optimization int8 --representative-data $cal
  for p in 0.5 0.75; do
    row $model $cal $ev "prune $p" --optimization float32 --prune $p
    row $model $cal $ev "prune $p + int8" --optimization int8 --prune $p --representative-data $cal
  done
  for c in 16 32; do
    row $model $cal $ev "cluster $c" --optimization float32 --cluster $c
    row $model $cal $ev "cluster $c + int8" --optimization int8 --cluster $c --representative-data $cal
  done
  row $model $cal $ev "prune 0.5 + cluster 16 + int8" --optimization int8 --prune 0.5 --cluster 16 --representative-data $cal
done
