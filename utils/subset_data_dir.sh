#!/usr/bin/env bash
# Kaldi's utils/subset_data_dir.sh: part of a data dir (asrkit-data subset). Without a
# selection flag it draws <num-utt> utterances at random (--seed, default 0).

help_message="Usage: $0 [--first|--last|--shortest|--speakers] [--seed S] <srcdir> <num-utt> <destdir>
       $0 --utt-list <utterance-list-file> <srcdir> <destdir>
       $0 --spk-list <speaker-list-file> <srcdir> <destdir>
--first/--last: the first/last utterances in sorted order; --shortest: the shortest;
--speakers: whole speakers at random until <num-utt> utterances; default: random utterances."

. "$(dirname "${BASH_SOURCE[0]}")/asrkit_data.sh"

how=--random
list=
seed=0
while [ $# -gt 0 ]; do
  case $1 in
    --first|--last|--shortest|--speakers) how=$1; shift ;;
    --utt-list|--spk-list) [ $# -ge 2 ] || { echo "$0: $1 needs a file" >&2; exit 1; }
                           how=$1; list=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --help|-h) echo "$help_message"; exit 0 ;;
    --*) echo "$0: invalid option $1" >&2; exit 1 ;;
    *) break ;;
  esac
done

if [ -n "$list" ]; then
  [ $# -eq 2 ] || { echo "$help_message" >&2; exit 1; }
  asrkit_data subset "$how" "$list" "$1" "$2"
else
  [ $# -eq 3 ] || { echo "$help_message" >&2; exit 1; }
  asrkit_data subset "$how" "$2" --seed "$seed" "$1" "$3"
fi
