#!/usr/bin/env bash
# Training speed of SERClassifier on a CUDA GPU, in under five minutes.
#
# Prints, from benchmarks/bench_train.py with --device cuda: the length model;
# per pooling, one training epoch of the bare float32 loop padded to 500
# frames against SERClassifier.fit, with the projected time of one
# leave-one-session-out fold of the paper's recipe (3,600 utterances x 200
# epochs); and the precisions float32, bf16 and fp16 of the default path with
# their largest prediction difference from float32.
#
# Usage, from the repository root, with the library importable:
#     bash benchmarks/gpu_check.sh            # python from PATH
#     PYTHON=.venv/bin/python bash benchmarks/gpu_check.sh
set -euo pipefail
PYTHON="${PYTHON:-python}"
cd "$(dirname "$0")/.."
"$PYTHON" - <<'PY'
import sys
import torch
if not torch.cuda.is_available():
    sys.exit("gpu_check.sh: torch sees no CUDA device (torch.cuda.is_available() "
             f"is False; torch {torch.__version__}, CUDA {torch.version.cuda}).")
print("GPU:", torch.cuda.get_device_name(), "| torch", torch.__version__,
      "| CUDA", torch.version.cuda, "| cuDNN", torch.backends.cudnn.version())
PY
exec timeout 290 "$PYTHON" benchmarks/bench_train.py --device cuda \
    --n-utterances 640 --option-utterances 640 --repeats 3 \
    --only lengths --only pooling --only options "$@"
