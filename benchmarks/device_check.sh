#!/usr/bin/env bash
# The fast tracker's GPU check (issue 17), one prepared run from the repository root on a machine
# with CUDA: the fast tracker's tests with the tracker on the GPU (the reference stays on the CPU),
# then the benchmark table with its CPU and CUDA rows. Options go to gpu_speed.py:
#   bash benchmarks/device_check.sh [--frames 60] [--batches 8,32,128] ...
# Needs torch with CUDA and the test tools (pytest, nbval: the root conftest imports it).
set -euo pipefail
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv
python3 -c "import torch; assert torch.cuda.is_available(), 'this torch sees no GPU'; \
print('torch', torch.__version__, 'on', torch.cuda.get_device_name())"
SIAMFC_EDU_TEST_DEVICE=cuda python3 -m pytest -q -p no:cacheprovider tests/test_fast_tracker.py
cd benchmarks && python3 gpu_speed.py "$@"
