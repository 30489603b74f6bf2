#!/usr/bin/env bash
# The GPU checks for one lent device session (the README's "GPU checks" says how to call it):
# the CUDA tests, then benchmarks/matting_gpu.py rows, each group under its own time limit so
# one slow group leaves the others' figures. Results go to $OUT (rewritten after every row).
#
# The device machine has PyTorch, OpenCV, numpy and pytest but no network: PyAV,
# segment-anything and platformdirs travel as wheels in .wheels-device/ (see the README).
# The groups' limits add up to about 550 s: give the call a timeout_s of 600 (override
# a limit with TESTS_S, VIT_B_S, COMPILE_S, VARIANTS_S or VIT_H_S).
set -u
OUT=${OUT:-/tmp/cutwise-device}
mkdir -p "$OUT"
if ls .wheels-device/*.whl >/dev/null 2>&1; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
        --target /tmp/site .wheels-device/*.whl || exit 1
    export PYTHONPATH=/tmp/site
fi
export PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
timeout "${TESTS_S:-100}" python3 -m pytest -q -p no:cacheprovider -o addopts=-ra \
    tests/analysis/test_matting_models.py -k "cuda or fused or sam_propagates" 2>&1 | tail -8

bench() {  # bench NAME SECONDS ARGS...: one group of rows into $OUT/NAME.{json,md}
    local name=$1 limit=$2
    shift 2
    timeout "$limit" python3 benchmarks/matting_gpu.py --out "$OUT/$name" "$@" 2>&1 | grep '^{'
}
bench vit_b "${VIT_B_S:-140}" --models vit_b --dtypes bf16 --batches 8 --frames 120 360
bench compile "${COMPILE_S:-120}" --models vit_b --dtypes bf16 --batches 8 --frames 120 \
    --compile on
bench variants "${VARIANTS_S:-110}" --models vit_b --dtypes fp32 bf16 --batches 1 8 --frames 120
bench vit_h "${VIT_H_S:-80}" --models vit_h --dtypes bf16 --batches 8 --frames 120
