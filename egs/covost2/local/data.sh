#!/usr/bin/env bash
# Stage 1 for CoVoST 2 (X -> en) as multilingual source-language ASR: data/train, data/dev,
# data/test over all source languages (utt2lang, utt2translation) and data/<set>_<src> per
# language. The Common Voice audio needs a login, so nothing is downloaded here: see README.md.
set -euo pipefail

log() { echo "$(date '+%Y-%m-%dT%H:%M:%S') (data.sh:${BASH_LINENO[0]}) $*"; }

sources=ca,es,fr        # source languages (comma-separated)
target=en
normalizer=default      # text normalization: none | default | upper | conf/<file>.yaml
check_audio=exists
max_bad_fraction=0.05
force=false             # prepare again even when data/ was prepared with these settings
help_message="Usage: $0 [--sources ca,es,fr] [--normalizer default]"

. ./db.sh
. ./path.sh
. utils/parse_options.sh

if [ ! -d "${COVOST2}" ] || [ ! -d "${COVOST2_TSV}" ]; then
  log "No Common Voice 4 at ${COVOST2} or no CoVoST 2 TSVs at ${COVOST2_TSV} (see db.sh)."
  asrkit-prepare covost2 --download "$(dirname "${COVOST2}")" || true
  exit 1
fi

log "Preparing CoVoST 2 ${sources} -> ${target}"
asrkit-prepare covost2 "${COVOST2}" data --covost-dir "${COVOST2_TSV}" \
  --sources "${sources}" --target "${target}" --normalizer "${normalizer}" \
  --check-audio "${check_audio}" --max-bad-fraction "${max_bad_fraction}" \
  "$( "${force}" && echo --force || echo --no-force )"
log "Successfully finished. [elapsed=${SECONDS}s]"
