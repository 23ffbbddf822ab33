#!/usr/bin/env bash
# The fast tracker's GPU check (issue 17), one prepared run from the repository root on a machine
# with CUDA, all output also in $OUT/device_check.log (or ./device_check/):
#   1. the fast tracker's tests with the tracker on the GPU (the reference stays on the CPU);
#   2. how far TF32 would move the boxes (benchmarks/tf32_drift.py);
#   3. where a step's time goes, stage by stage (benchmarks/step_profile.py);
#   4. the benchmark table's CUDA rows (options go to gpu_speed.py);
#   5. notebook 08 in quick mode as a plain script, its figures saved as PNGs.
#   bash benchmarks/device_check.sh [--frames 60] [--batches 8,32,128] ...
# Needs torch with CUDA, OpenCV, matplotlib, pytest and scikit-video; not Jupyter or nbval (the
# suite's root conftest and options are switched off for the one test file).
set -uo pipefail
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
out="${OUT:-device_check}"
mkdir -p "$out"
log="$out/device_check.log"
status=0
{
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv
  python3 -c "import torch, cv2, numpy; assert torch.cuda.is_available(), 'this torch sees no GPU'; \
print('torch', torch.__version__, 'on', torch.cuda.get_device_name(), '| opencv', cv2.__version__, \
'| numpy', numpy.__version__)"
} 2>&1 | tee "$log" || exit 1
echo "== 1. tests on CUDA" | tee -a "$log"
SIAMFC_EDU_TEST_DEVICE=cuda python3 -m pytest -q -p no:cacheprovider --confcutdir=tests \
  -o addopts="" -rs tests/test_fast_tracker.py 2>&1 | tee -a "$log" || status=1
echo "== 2. TF32 drift" | tee -a "$log"
python3 benchmarks/tf32_drift.py 2>&1 | tee -a "$log" || status=1
echo "== 3. step profile" | tee -a "$log"
(cd benchmarks && python3 step_profile.py && python3 step_profile.py --cudnn-benchmark \
  --presets SiamFC-3s --batches 1,128) 2>&1 | tee -a "$log" || status=1
echo "== 4. benchmark" | tee -a "$log"
(cd benchmarks && python3 gpu_speed.py --devices cuda "$@") 2>&1 | tee -a "$log" || status=1
echo "== 5. notebook 08" | tee -a "$log"
SIAMFC_EDU_QUICK=1 python3 benchmarks/notebook_as_script.py notebooks/08_gpu_tracker.py \
  --figures "$out" 2>&1 | tee -a "$log" || status=1
exit $status
