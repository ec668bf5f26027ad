# FSDD's jobs: the shared settings (egs/TEMPLATE/cmd.sh), except that a local training job
# runs one thread. The model is small and its batches of 0.5 s clips are small matrices:
# a second thread bought no speed and cost six times the CPU time on a busy 2-core machine
# (README.md, "CPU time").
. "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../TEMPLATE/cmd.sh"
if [ "${cmd_backend}" = local ]; then
  export cuda_cmd="asrkit-launch local --num-threads 1"
fi
