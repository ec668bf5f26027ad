# How the recipe's jobs run: sourced by asr.sh after path.sh. Every recipe links to this
# file; copy it into the recipe instead to give one corpus its own settings.
#
# The stages call ${train_cmd}, ${decode_cmd} and ${cuda_cmd} like Kaldi's run.pl/slurm.pl:
#
#   ${train_cmd} JOB=1:4 exp/x/log/dump.JOB.log asrkit-dump ... JOB ...
#
# runs four jobs (JOB = 1..4), each logging to its own file, and fails naming the failed
# jobs and their logs. Options (they go before JOB=1:N):
#   --num-threads N  threads per job (exported as OMP_NUM_THREADS; slurm: --cpus-per-task)
#   --mem 4G         memory per thread (slurm only)
#   --gpu N          GPUs per job (slurm only; asr.sh adds --gpu ${ngpu} to cuda_cmd)
#   --time 24:00:00  time limit per job (slurm only)
#   --max-jobs-run K at most K jobs at once (local default: CPUs / num-threads)
#
# Multi-GPU training (--ngpu N > 1) runs as one job holding N GPUs; the ranks start inside
# it, from `torchrun --standalone --nproc-per-node N ...` (local or slurm) or
# `srun --ntasks N --cpus-per-task 8 ...` (slurm), and the trainer reads torchrun's
# RANK/WORLD_SIZE or srun's SLURM_PROCID/SLURM_NTASKS.

# Edit this: local = processes on this machine; slurm = one sbatch array per step.
cmd_backend=${cmd_backend:-local}

if [ "${cmd_backend}" = local ]; then
  # --mem/--gpu/--time are accepted and ignored, so switching backends needs no other edit.
  export train_cmd="asrkit-launch local"
  export decode_cmd="asrkit-launch local"
  # One training job at a time, using every core.
  export cuda_cmd="asrkit-launch local --num-threads $(nproc)"

elif [ "${cmd_backend}" = slurm ]; then
  # conf/slurm.conf turns the options into sbatch options (partitions, --gres, ...): edit
  # its -p lines for your cluster. A recipe's own conf/slurm.conf wins over the shared one.
  slurm_conf=conf/slurm.conf
  [ -f "${slurm_conf}" ] || slurm_conf=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/conf/slurm.conf
  export train_cmd="asrkit-launch slurm --config ${slurm_conf} --mem 2G"
  export decode_cmd="asrkit-launch slurm --config ${slurm_conf} --mem 4G"
  export cuda_cmd="asrkit-launch slurm --config ${slurm_conf} --mem 4G --num-threads 4"

else
  echo "cmd.sh: unknown cmd_backend='${cmd_backend}' (use local or slurm)" >&2
  return 1 2>/dev/null || exit 1
fi
