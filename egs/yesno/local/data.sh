#!/usr/bin/env bash
# Stage 1 for yesno: data/train (the first 30 recordings in sorted order) and data/test (the
# last 30), transcripts YES/NO, as Kaldi's egs/yesno. Downloads the corpus when missing.
set -euo pipefail

log() { echo "$(date '+%Y-%m-%dT%H:%M:%S') (data.sh:${BASH_LINENO[0]}) $*"; }

force=false  # prepare again even when data/ was prepared with these settings
help_message="Usage: $0 [--force true]"

. ./db.sh
. ./path.sh
. utils/parse_options.sh

if ! ls "${YESNO}"/*.wav > /dev/null 2>&1; then
  log "Downloading yesno into $(dirname "${YESNO}")"
  asrkit-prepare yesno --download "$(dirname "${YESNO}")"
fi

asrkit-prepare yesno "${YESNO}" data "$( "${force}" && echo --force || echo --no-force )"
log "Successfully finished. [elapsed=${SECONDS}s]"
