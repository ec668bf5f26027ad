# Sourced by every recipe script: puts asrkit's virtual environment and utils/ on PATH.
ASRKIT_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
venv=${ASRKIT_VENV:-${ASRKIT_ROOT}/tools/venv}
if [ ! -x "${venv}/bin/python" ]; then
  echo "path.sh: no asrkit environment at ${venv}; run '${ASRKIT_ROOT}/tools/install.sh' first" >&2
  return 1 2>/dev/null || exit 1
fi
export PATH=${venv}/bin:${PWD}/utils:${PATH}
export VIRTUAL_ENV=${venv}
export LC_ALL=C            # Kaldi tables are sorted in C-locale (byte) order
export PYTHONUNBUFFERED=1  # logs show progress as it happens
export PYTHONIOENCODING=utf-8
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-$(nproc)}
