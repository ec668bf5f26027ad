#!/usr/bin/env bash
# Kaldi's utils/fix_data_dir.sh: keep only the utterances that are in every file of a data
# dir, drop recordings without utterances, sort everything (asrkit-data fix). The old
# files go to <data-dir>/.backup; what was dropped and why to <data-dir>/excluded_fix.txt.

utt_extra_files=  # accepted for Kaldi compatibility: every utt2*/spk2* table is filtered anyway
spk_extra_files=
max_excluded_fraction=1.0  # fail (changing nothing) if more than this fraction is dropped
help_message="Usage: $0 [--max-excluded-fraction F] <data-dir>
e.g.: $0 data/train"

. "$(dirname "${BASH_SOURCE[0]}")/parse_options.sh" || exit 1
. "$(dirname "${BASH_SOURCE[0]}")/asrkit_data.sh"
[ $# -eq 1 ] || { echo "$help_message" >&2; exit 1; }

asrkit_data fix --max-excluded-fraction "$max_excluded_fraction" "$1"
