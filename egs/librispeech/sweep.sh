#!/usr/bin/env bash
# The LibriSpeech ICSL / RVQ study (METHODS.md §2-3; README.md, "The ICSL / RVQ study"): two
# grids that asrkit-experiment runs through ${cuda_cmd} (cmd.sh), one after the other.
#
#   icsl  conf/grid_icsl.yaml: G = 2, 4, 8, 16 codebooks, each without and with the
#         inter-codebook similarity loss: 8 pretrainings, each fine-tuned with finetune_small.yaml
#   rvq   conf/grid_rvq.yaml: pretrain_small.yaml's model fine-tuned with a residual VQ of
#         L = 0 (none), 1, 2, 4, 8, 16 levels
#
#   ./sweep.sh                                # both studies, stages 1-6
#   ./sweep.sh --studies rvq -- --ngpu 1      # options after "--" go to every ./run.sh call
#   ./sweep.sh --max-parallel 2               # at most two trainings at once
#
# Finished pretrainings and arms are skipped, so a stopped sweep picks up where it was; both
# studies share pretrain_small.yaml's model. Results: exp/grid_<study>/comparison.md (also
# sections of RESULTS.md), exp/pretraining/*/ssl_*/summary.md (pretraining losses, perplexity,
# collapse check), exp/grid_rvq/*/asr_*/images/wer.png (dev WER against updates).
set -euo pipefail

studies="icsl rvq"  # which studies to run (conf/grid_<study>.yaml)
max_parallel=       # at most this many trainings at once (default: what the launcher allows)
force=false         # redo finished pretrainings and arms
help_message="Usage: $0 [--studies \"icsl rvq\"] [--max-parallel N] [--force true] [-- options for every ./run.sh call]"

. utils/parse_options.sh
run_opts=("$@")     # what followed "--"
. ./path.sh
. ./cmd.sh

log() { echo "$(date '+%Y-%m-%dT%H:%M:%S') (sweep.sh:${BASH_LINENO[0]}) $*"; }
die() { echo "$0: $*" >&2; exit 1; }

for s in ${studies}; do
  [ -f "conf/grid_${s}.yaml" ] || die "unknown study '${s}' (icsl, rvq: conf/grid_<study>.yaml)"
done
status=0
for s in ${studies}; do
  log "Study ${s}: conf/grid_${s}.yaml"
  asrkit-experiment run "conf/grid_${s}.yaml" --cmd "${cuda_cmd}" \
    ${max_parallel:+--max-parallel "${max_parallel}"} $("${force}" && echo --force) \
    -- ${run_opts[@]+"${run_opts[@]}"} || status=1
done
log "Done. Word error rates: $(pwd)/RESULTS.md; each study: exp/grid_<study>/comparison.md"
exit "${status}"
