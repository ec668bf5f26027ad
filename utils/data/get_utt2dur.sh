#!/usr/bin/env bash
# Kaldi's utils/data/get_utt2dur.sh: write <data-dir>/utt2dur, from segments or by reading
# each recording's header (or running its pipe). An existing utt2dur is kept.

help_message="Usage: $0 <data-dir>
e.g.: $0 data/train"

. "$(dirname "${BASH_SOURCE[0]}")/../parse_options.sh" || exit 1
. "$(dirname "${BASH_SOURCE[0]}")/../asrkit_data.sh"
[ $# -eq 1 ] || { echo "$help_message" >&2; exit 1; }

asrkit_data get-utt2dur "$1"
