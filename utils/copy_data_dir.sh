#!/usr/bin/env bash
# Kaldi's utils/copy_data_dir.sh: copy a data dir, optionally with new utterance and
# speaker ids (asrkit-data copy). Recording ids stay the same when there are segments.

utt_prefix=
utt_suffix=
spk_prefix=
spk_suffix=
validate_opts=  # accepted for Kaldi compatibility: the copy is always validated
help_message="Usage: $0 [options] <srcdir> <destdir>
  --utt-prefix P, --utt-suffix S   added to utterance ids
  --spk-prefix P, --spk-suffix S   added to speaker ids
e.g.: $0 --spk-prefix 1- --utt-prefix 1- data/train data/train_1"

. "$(dirname "${BASH_SOURCE[0]}")/parse_options.sh" || exit 1
. "$(dirname "${BASH_SOURCE[0]}")/asrkit_data.sh"
[ $# -eq 2 ] || { echo "$help_message" >&2; exit 1; }

asrkit_data copy --utt-prefix="$utt_prefix" --utt-suffix="$utt_suffix" \
  --spk-prefix="$spk_prefix" --spk-suffix="$spk_suffix" "$1" "$2"
