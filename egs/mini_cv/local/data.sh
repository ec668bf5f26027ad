#!/usr/bin/env bash
# Stage 1 for mini_cv. Synthesizes the demo corpus (Catalan, Spanish and English read by
# espeak-ng voices, in exactly the Common Voice layout) into ${MINI_CV} when it is missing,
# then prepares it with the Common Voice preparer, the same code path as a real release:
#   data/train, data/dev, data/test      all languages, with utt2lang, utt2gender, utt2accent
#   data/<set>_<locale>                  each language alone, for per-language scoring
#   data/unlabeled                       SSL pool: train clips + other.tsv (no dev/test speaker)
set -euo pipefail

log() { echo "$(date '+%Y-%m-%dT%H:%M:%S') (data.sh:${BASH_LINENO[0]}) $*"; }

languages=ca,es,en      # locales to synthesize (python -m asrkit.corpora.synth --help lists them)
minutes=40              # minutes of audio in total, shared equally by the languages
speakers_per_locale=20  # synthetic speakers per locale; test, dev and train speakers are disjoint
seed=0                  # the same seed gives the same corpus, byte for byte
jobs=$(nproc)           # processes synthesizing
unlabeled=train,other   # SSL pool sources: train, rest (validated clips in no split), other
normalizer=default      # text normalization: none | default | upper | conf/<file>.yaml
force=false             # prepare again even when data/ was prepared with these settings
help_message="Usage: $0 [--languages ca,es,en] [--minutes 40] [--speakers-per-locale 20] [--seed 0] [--jobs N]"

. ./db.sh
. ./path.sh
. utils/parse_options.sh

# The marker holds the settings it was made with: other settings make a new corpus.
marker=${MINI_CV}/.done
settings="languages=${languages} minutes=${minutes} speakers_per_locale=${speakers_per_locale} seed=${seed}"
if [ -f "${marker}" ] && [ "$(cat "${marker}")" = "${settings}" ]; then
  log "Synthetic corpus already in ${MINI_CV} (${settings}); remove ${marker} to make it again"
else
  log "Synthesizing ${minutes} min of ${languages} into ${MINI_CV} (${jobs} jobs)"
  rm -f "${marker}"
  python -m asrkit.corpora.synth "${MINI_CV}" --languages "${languages}" --minutes "${minutes}" \
    --speakers-per-locale "${speakers_per_locale}" --seed "${seed}" --jobs "${jobs}"
  echo "${settings}" > "${marker}"
  force=true  # a new corpus under the same path: data/ must be prepared from it again
fi

log "Preparing ${MINI_CV} as Common Voice (${languages})"
asrkit-prepare commonvoice "${MINI_CV}" data --locales "${languages}" --split-mode official \
  --unlabeled "${unlabeled}" --normalizer "${normalizer}" --durations \
  "$( "${force}" && echo --force || echo --no-force )"
log "Successfully finished. [elapsed=${SECONDS}s]"
