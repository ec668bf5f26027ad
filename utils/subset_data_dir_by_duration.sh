#!/usr/bin/env bash
# asrkit's own: <minutes> minutes of speech from <srcdir> (per value of --group-by, e.g.
# utt2lang for minutes per language), speakers taking turns in an order drawn from --seed.
# For one seed a smaller amount is a subset of a larger one, so training sets of 5, 10 and
# 20 minutes are nested. Durations come from utt2dur or segments, else the audio; a group
# holding less than <minutes> is an error that says how much it holds.

group_by=none  # a per-utterance table (utt2lang, utt2gender, ...) or none
seed=0
help_message="Usage: $0 [--group-by utt2lang] [--seed 0] <srcdir> <minutes> <destdir>
e.g.: $0 --group-by utt2lang data/train 10 data/train_10min"

. "$(dirname "${BASH_SOURCE[0]}")/parse_options.sh" || exit 1
. "$(dirname "${BASH_SOURCE[0]}")/asrkit_data.sh"
[ $# -eq 3 ] || { echo "$help_message" >&2; exit 1; }

asrkit_data subset --minutes "$2" --group-by "$group_by" --seed "$seed" "$1" "$3"
