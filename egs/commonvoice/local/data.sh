#!/usr/bin/env bash
# Stage 1 for Common Voice: data/train, data/dev, data/test and data/unlabeled (the SSL pool);
# with several locales also data/<set>_<locale>. Common Voice needs a login, so nothing is
# downloaded here: see README.md.
set -euo pipefail

log() { echo "$(date '+%Y-%m-%dT%H:%M:%S') (data.sh:${BASH_LINENO[0]}) $*"; }

locales=ca                  # comma-separated locales (several: combined multilingual sets)
split_mode=auto             # official (the release's train/dev/test.tsv) | speaker | auto
dev_fraction=0.1            # speaker mode: share of clips for dev
test_fraction=0.1           # speaker mode: share of clips for test
unlabeled=train,rest,other  # SSL pool sources (train, rest of validated, other.tsv) or none
normalizer=default          # text normalization: none | default | upper | conf/<file>.yaml
check_audio=exists          # none | exists | read (opens every MP3: slow on big releases)
durations=false             # write utt2dur (reads every MP3 header)
max_bad_fraction=0.05       # stop when more of a set is excluded
force=false                 # prepare again even when data/ was prepared with these settings
help_message="Usage: $0 [--locales ca,es] [--split-mode auto|official|speaker] [--unlabeled train,rest,other|none]"

. ./db.sh
. ./path.sh
. utils/parse_options.sh

if [ ! -d "${COMMONVOICE}" ]; then
  log "No Common Voice release at ${COMMONVOICE} (set COMMONVOICE in db.sh)."
  asrkit-prepare commonvoice --download "$(dirname "${COMMONVOICE}")" || true
  exit 1
fi

log "Preparing Common Voice ${locales} from ${COMMONVOICE}"
asrkit-prepare commonvoice "${COMMONVOICE}" data \
  --locales "${locales}" --split-mode "${split_mode}" \
  --dev-fraction "${dev_fraction}" --test-fraction "${test_fraction}" \
  --unlabeled "${unlabeled}" --normalizer "${normalizer}" --check-audio "${check_audio}" \
  "$( "${durations}" && echo --durations || echo --no-durations )" \
  --max-bad-fraction "${max_bad_fraction}" "$( "${force}" && echo --force || echo --no-force )"
log "Successfully finished. [elapsed=${SECONDS}s]"
