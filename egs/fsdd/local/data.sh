#!/usr/bin/env bash
# Stage 1 for the Free Spoken Digit Dataset: data/train, data/dev, data/test (transcripts
# ZERO..NINE). --split speaker (default) holds out whole speakers: one for test, one for dev,
# the rest for train. --split official keeps FSDD's test set (recordings 0-4 of every speaker,
# dev = 5-9, train = the rest), whose speakers training has heard. Downloads FSDD when missing.
set -euo pipefail

log() { echo "$(date '+%Y-%m-%dT%H:%M:%S') (data.sh:${BASH_LINENO[0]}) $*"; }

split=speaker           # speaker (held-out speakers) | official (FSDD's test set: speakers seen in training)
max_bad_fraction=0.05
force=false             # prepare again even when data/ was prepared with these settings
help_message="Usage: $0 [--split official|speaker]"

. ./db.sh
. ./path.sh
. utils/parse_options.sh

if [ ! -d "${FSDD}/recordings" ]; then
  log "Downloading FSDD into $(dirname "${FSDD}")"
  asrkit-prepare fsdd --download "$(dirname "${FSDD}")"
fi

asrkit-prepare fsdd "${FSDD}" data --split "${split}" --max-bad-fraction "${max_bad_fraction}" \
  "$( "${force}" && echo --force || echo --no-force )"
log "Successfully finished. [elapsed=${SECONDS}s]"
