#!/usr/bin/env bash
# Stage 1 for CMU AN4: data/train, data/dev (whole training speakers held out, 10 % of the
# training utterances by default), data/test (AN4's test list). Transcripts as the corpus
# writes them, without <s> </s> and the (id). Downloads AN4 when missing.
set -euo pipefail

log() { echo "$(date '+%Y-%m-%dT%H:%M:%S') (data.sh:${BASH_LINENO[0]}) $*"; }

dev_fraction=0.1        # share of the training utterances held out as dev, in whole speakers
dev_speakers=           # or these training speakers (comma-separated)
max_bad_fraction=0.05
force=false             # prepare again even when data/ was prepared with these settings
help_message="Usage: $0 [--dev-fraction 0.1] [--dev-speakers spk1,spk2]"

. ./db.sh
. ./path.sh
. utils/parse_options.sh

if [ ! -f "${AN4}/etc/an4_train.fileids" ]; then
  log "Downloading AN4 into $(dirname "${AN4}")"
  asrkit-prepare an4 --download "$(dirname "${AN4}")"
fi

asrkit-prepare an4 "${AN4}" data --dev-fraction "${dev_fraction}" ${dev_speakers:+--dev-speakers "${dev_speakers}"} \
  --max-bad-fraction "${max_bad_fraction}" "$( "${force}" && echo --force || echo --no-force )"
log "Successfully finished. [elapsed=${SECONDS}s]"
