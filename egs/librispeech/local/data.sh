#!/usr/bin/env bash
# Stage 1 for LibriSpeech: a Libri-light-style limited-supervision training set
# (data/train_<limited>, default 10 h of utterances longer than 5 s), data/dev_clean,
# data/test_clean and data/unlabeled (the rest of the source subsets, for SSL pretraining).
# Missing subsets are downloaded from OpenSLR first.
set -euo pipefail

log() { echo "$(date '+%Y-%m-%dT%H:%M:%S') (data.sh:${BASH_LINENO[0]}) $*"; }

limited=10h                       # duration of the labelled training set: 10h, 1h, 10min, ...
limited_from=train-clean-100      # subsets it is drawn from (comma-separated); the rest is the pool
eval_sets=dev-clean,test-clean    # subsets written as they are
min_duration=5                    # seconds; shorter training/pool utterances are dropped
max_duration=35                   # seconds
unlabeled=true                    # write data/unlabeled
seed=0                            # another seed draws another limited set
max_bad_fraction=0.05
force=false                       # prepare again even when data/ was prepared with these settings
help_message="Usage: $0 [--limited 10h] [--limited-from train-clean-100,train-other-500] [--eval-sets dev-clean,test-clean]"

. ./db.sh
. ./path.sh
. utils/parse_options.sh

missing=
for subset in ${limited_from//,/ } ${eval_sets//,/ }; do
  [ -d "${LIBRISPEECH}/LibriSpeech/${subset}" ] || missing+="${missing:+,}${subset}"
done
if [ -n "${missing}" ]; then
  log "Downloading ${missing} into ${LIBRISPEECH}"
  asrkit-prepare librispeech --download "${LIBRISPEECH}" --subsets "${missing}"
fi

log "Preparing LibriSpeech: ${limited} from ${limited_from}; ${eval_sets}"
asrkit-prepare librispeech "${LIBRISPEECH}" data \
  --limited "${limited}" --limited-from "${limited_from}" --subsets "${eval_sets}" \
  --min-duration "${min_duration}" --max-duration "${max_duration}" --seed "${seed}" \
  "$( "${unlabeled}" && echo --unlabeled || echo --no-unlabeled )" \
  --max-bad-fraction "${max_bad_fraction}" "$( "${force}" && echo --force || echo --no-force )"
log "Successfully finished. [elapsed=${SECONDS}s]"
