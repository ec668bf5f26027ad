#!/usr/bin/env bash
# asrkit's own: keep the utterances between --min-dur and --max-dur seconds. Durations
# come from utt2dur or segments, else from the audio; dropped utterances (too short, too
# long, unreadable) are listed with the reason in <destdir>/excluded_duration.txt.

min_dur=
max_dur=
max_excluded_fraction=1.0  # fail (writing nothing) if more than this fraction is dropped
help_message="Usage: $0 [--min-dur SECONDS] [--max-dur SECONDS] <srcdir> <destdir>
e.g.: $0 --min-dur 0.5 --max-dur 20 data/train data/train_filtered"

. "$(dirname "${BASH_SOURCE[0]}")/parse_options.sh" || exit 1
. "$(dirname "${BASH_SOURCE[0]}")/asrkit_data.sh"
[ $# -eq 2 ] || { echo "$help_message" >&2; exit 1; }

opts=(--max-excluded-fraction "$max_excluded_fraction")
[ -n "$min_dur" ] && opts+=(--min-dur "$min_dur")
[ -n "$max_dur" ] && opts+=(--max-dur "$max_dur")
asrkit_data filter-duration "${opts[@]}" "$1" "$2"
