#!/usr/bin/env bash
# The one device check (BENCHMARKS.md, "On a GPU"): everything a lent H100/H200 should measure,
# in at most 8 minutes of GPU time (the parts' limits add up to 7.6 minutes), written to one file, OUT_DIR/gpu_check.txt (CSV tables beside it
# in the same text, between "--- csv" markers, so one file carries them back).
#
# usage: benchmarks/gpu_check.sh OUT_DIR [WHEELS_DIR]
#   OUT_DIR     where gpu_check.txt goes (created)
#   WHEELS_DIR  optional: a folder of pure-Python packages installed with
#               `pip install --no-index --target WHEELS_DIR ...` (BENCHMARKS.md says which), put on
#               PYTHONPATH after src/ for a machine whose Python lacks the project's dependencies
#
# Exits 2 at once, with one line on stderr, when no CUDA GPU is visible; each part has its own
# time limit (GPU_CHECK_SCALE multiplies them, and the step counts, for a quick trial), and a part
# that fails or runs out of time is recorded as such while the rest still run.
set -uo pipefail

usage="usage: benchmarks/gpu_check.sh OUT_DIR [WHEELS_DIR]"
if [ $# -lt 1 ] || [ $# -gt 2 ] || [ "${1:0:1}" = "-" ]; then
  echo "gpu_check: $usage" >&2
  exit 64
fi
repo="$(cd "$(dirname "$0")/.." && pwd)"
out_dir="$1"
wheels="${2:-}"
if [ -n "$wheels" ] && [ ! -d "$wheels" ]; then
  echo "gpu_check: WHEELS_DIR $wheels is not a directory ($usage)" >&2
  exit 64
fi
python="${PYTHON:-python3}"
export PYTHONPATH="$repo/src${wheels:+:$(cd "$wheels" && pwd)}${PYTHONPATH:+:$PYTHONPATH}"
# cuBLAS's fixed workspace, as a deterministic training job sets it (device.use_deterministic_cuda)
export CUBLAS_WORKSPACE_CONFIG="${CUBLAS_WORKSPACE_CONFIG:-:4096:8}"

if ! command -v nvidia-smi >/dev/null 2>&1 \
  || ! "$python" -c 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)' >/dev/null 2>&1; then
  echo "gpu_check: no CUDA GPU visible to $python (nvidia-smi or torch.cuda.is_available() says none); nothing measured" >&2
  exit 2
fi

mkdir -p "$out_dir"
report="$out_dir/gpu_check.txt"
: >"$report"
scale="${GPU_CHECK_SCALE:-1}"
steps() { "$python" -c "import sys; print(max(2, round($1 * float(sys.argv[1]))))" "$scale"; }
limit() { "$python" -c "import sys; print(max(5, round($1 * float(sys.argv[1]))))" "$scale"; }
cd "$repo"

# part NAME SECONDS COMMAND...: the command's output into the report, with its exit status and time
part() {
  local name="$1" seconds="$2"
  shift 2
  local start=$SECONDS
  echo "=== $name (limit ${seconds}s): $*" >>"$report"
  timeout --kill-after=10 "$seconds" "$@" >>"$report" 2>&1
  local status=$?
  local verdict="ok"
  [ $status -ne 0 ] && verdict="FAILED (exit $status)"
  [ $status -eq 124 ] && verdict="OUT OF TIME"
  echo "=== $name: $verdict after $((SECONDS - start))s" >>"$report"
  echo "gpu_check: $name: $verdict after $((SECONDS - start))s"
}
# csv NAME FILE: a benchmark's table into the report
csv() {
  if [ -f "$2" ]; then
    { echo "--- csv $1"; cat "$2"; echo "--- end csv $1"; } >>"$report"
  fi
}
tables="$out_dir/tables"
mkdir -p "$tables"

part "machine" 20 bash -c 'nvidia-smi; '"$python"' -c "import sys, torch; print(\"python\", sys.version.split()[0]); print(\"torch\", torch.__version__, \"cuda\", torch.version.cuda, \"cudnn\", torch.backends.cudnn.version()); print(torch.cuda.get_device_name(0))"; git -C "'"$repo"'" rev-parse HEAD 2>/dev/null || true'
part "cuda-only tests" "$(limit 120)" "$python" -m pytest -q -p no:cacheprovider tests/test_train.py tests/test_images.py \
  tests/test_provenance.py -k "cuda or captured or repeats"
for kernels in deterministic nondeterministic; do
  flag=""
  [ "$kernels" = nondeterministic ] && flag="--nondeterministic"
  part "member-steps/s, paper nets, $kernels kernels" "$(limit 90)" "$python" benchmarks/train_throughput.py \
    --devices cuda --archs paper --sizes 10 64 --variants gan-ns wgan-gp unrolled-5 --modes eager cuda-graph \
    --steps "$(steps 40)" $flag --out "$tables/throughput-$kernels.csv"
  csv "throughput-$kernels" "$tables/throughput-$kernels.csv"
done
part "peak GPU memory of a 28x28 snapshot" "$(limit 45)" "$python" benchmarks/snapshot_memory.py --device cuda \
  --out "$tables/snapshot-memory.csv"
csv "snapshot-memory" "$tables/snapshot-memory.csv"
part "PacGAN Table 1 ring8 gan-ns job, projected to 400k iterations" "$(limit 90)" "$python" benchmarks/project_study.py \
  --configfile config/pacgan-table1.yaml --datasets ring8 --variants gan-ns --device cuda --steps "$(steps 1000)" \
  --out "$tables/project-pacgan-table1.csv"
csv "project-pacgan-table1" "$tables/project-pacgan-table1.csv"
echo "gpu_check: written to $report"
