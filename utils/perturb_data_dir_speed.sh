#!/usr/bin/env bash
# Kaldi's utils/perturb_data_dir_speed.sh: a speed-perturbed copy of a data dir with
# utterance, speaker and recording ids prefixed sp<factor>-. wav.scp becomes a pipe
# through asrkit-speed (asrkit.data.speed; no sox needed); times and durations are divided by factor.

help_message="Usage: $0 <warping-factor> <srcdir> <destdir>
e.g.: $0 0.9 data/train data/train_sp0.9"

. "$(dirname "${BASH_SOURCE[0]}")/parse_options.sh" || exit 1
. "$(dirname "${BASH_SOURCE[0]}")/asrkit_data.sh"
[ $# -eq 3 ] || { echo "$help_message" >&2; exit 1; }

asrkit_data speed-perturb "$1" "$2" "$3"
