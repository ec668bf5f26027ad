#!/usr/bin/env bash
# Stage 1 for mini_cv. Synthesizes the demo corpus (Catalan, Spanish and English read by
# espeak-ng voices, in exactly the Common Voice layout) into ${MINI_CV} when it is missing,
# then prepares it with the Common Voice preparer, the same code path as a real release:
#   data/train, data/dev, data/test      all languages, with utt2lang, utt2gender, utt2accent
#   data/<set>_<locale>                  each language alone, for per-language scoring
#   data/unlabeled                       SSL pool: train clips + other.tsv (no dev/test speaker)
#   data/train_<N>min                    with --labeled-minutes N: N minutes of train per language
#
# The low-resource setting, e.g. --labeled-minutes "5 10 20 40" --unlabeled-minutes 180:
#   - Dev and test are those of the base corpus (--minutes, --speakers-per-locale, --seed):
#     the same speakers and utterances whatever the labeled and unlabeled amounts.
#   - --unlabeled-minutes M grows the base corpus with more train speakers and sentences until
#     data/unlabeled holds M minutes (M / languages each, at the base's minutes per train speaker).
#     The pool holds all train-speaker audio, the labeled sets' included, as wav2vec 2.0
#     pretrains on all of LibriSpeech. Train is 64/76 of the pool, so the rule is
#     M >= 1.2 x the largest N x the number of languages; M is at least the base's pool
#     (0.76 x --minutes).
#   - data/train_<N>min: N minutes per language from data/train, speakers taking turns in an
#     order drawn from --seed, so a smaller set is a subset of a larger one.
set -euo pipefail

log() { echo "$(date '+%Y-%m-%dT%H:%M:%S') (data.sh:${BASH_LINENO[0]}) $*"; }
die() { log "ERROR: $*" >&2; exit 1; }

languages=ca,es,en      # locales to synthesize (python -m asrkit.corpora.synth --help lists them)
minutes=40              # minutes of audio in the base corpus, shared equally by the languages
speakers_per_locale=20  # synthetic speakers per locale; test, dev and train speakers are disjoint
seed=0                  # the same seed gives the same corpus, byte for byte, and the same subsets
jobs=$(nproc)           # processes synthesizing
unlabeled=train,other   # SSL pool sources: train, rest (validated clips in no split), other
labeled_minutes=        # transcribed minutes per language, e.g. 10 or "5,10,20,40": data/train_<N>min
unlabeled_minutes=      # minutes of the SSL pool, all languages together (grows the corpus)
normalizer=default      # text normalization: none | default | upper | conf/<file>.yaml
force=false             # prepare again even when data/ was prepared with these settings
help_message="Usage: $0 [--languages ca,es,en] [--minutes 40] [--speakers-per-locale 20] [--seed 0] [--jobs N]
       [--labeled-minutes 5,10,20,40] [--unlabeled-minutes 180]"

. ./db.sh
. ./path.sh
. utils/parse_options.sh

labeled=${labeled_minutes//,/ }
n_languages=$(echo "${languages}" | tr ',' '\n' | grep -c .)
largest=$(printf '%s\n' ${labeled} 0 | sort -g | tail -1)
# Enough train audio for the largest labeled set, checked before minutes of synthesis.
least_pool() { awk -v n="${largest}" -v l="${n_languages}" 'BEGIN { printf "%g", 1.2 * n * l }'; }

# The marker holds the settings it was made with: other settings make a new corpus.
marker=${MINI_CV}/.done
settings="languages=${languages} minutes=${minutes} speakers_per_locale=${speakers_per_locale} seed=${seed}"
grow=()
if [ -n "${unlabeled_minutes}" ]; then
  awk -v m="${unlabeled_minutes}" -v least="$(least_pool)" 'BEGIN { exit !(m >= least) }' ||
    die "--unlabeled-minutes ${unlabeled_minutes} cannot hold ${largest} labeled minutes per language:" \
        "the pool holds the labeled audio and train is 64/76 of it; give at least $(least_pool)"
  pool_per_locale=$(awk -v m="${unlabeled_minutes}" -v l="${n_languages}" 'BEGIN { printf "%.6g", m / l }')
  grow=(--pool-minutes-per-locale "${pool_per_locale}")
  settings+=" pool_minutes_per_locale=${pool_per_locale}"
fi
if [ -f "${marker}" ] && [ "$(cat "${marker}")" = "${settings}" ]; then
  log "Synthetic corpus already in ${MINI_CV} (${settings}); remove ${marker} to make it again"
else
  log "Synthesizing ${minutes} min of ${languages}${unlabeled_minutes:+, grown to a ${unlabeled_minutes} min pool,} into ${MINI_CV} (${jobs} jobs)"
  rm -f "${marker}"
  python -m asrkit.corpora.synth "${MINI_CV}" --languages "${languages}" --minutes "${minutes}" \
    --speakers-per-locale "${speakers_per_locale}" --seed "${seed}" --jobs "${jobs}" "${grow[@]}"
  echo "${settings}" > "${marker}"
  force=true  # a new corpus under the same path: data/ must be prepared from it again
fi

log "Preparing ${MINI_CV} as Common Voice (${languages})"
asrkit-prepare commonvoice "${MINI_CV}" data --locales "${languages}" --split-mode official \
  --unlabeled "${unlabeled}" --normalizer "${normalizer}" --durations \
  "$( "${force}" && echo --force || echo --no-force )"
utils/check_speakers_disjoint.sh data/unlabeled data/dev data/test

for n in ${labeled}; do
  utils/subset_data_dir_by_duration.sh --group-by utt2lang --seed "${seed}" data/train "${n}" \
    "data/train_${n}min" ||
    die "data/train has too little audio for ${n} minutes per language; give --unlabeled-minutes" \
        "$(least_pool) or more to synthesize more"
  utils/check_speakers_disjoint.sh "data/train_${n}min" data/dev data/test
done
log "Successfully finished. [elapsed=${SECONDS}s]"
