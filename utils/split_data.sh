#!/usr/bin/env bash
# Kaldi's utils/split_data.sh: write <data-dir>/split<N>/{1..N}, whole speakers per piece
# with balanced utterance counts; --per-utt splits utterances into <data-dir>/split<N>utt.
# Pieces newer than the data dir are reused.

help_message="Usage: $0 [--per-utt] <data-dir> <num-to-split>
e.g.: $0 data/train 8"

. "$(dirname "${BASH_SOURCE[0]}")/asrkit_data.sh"

opts=()
while [ $# -gt 0 ]; do
  case $1 in
    --per-utt) opts+=(--per-utt); shift ;;
    --help|-h) echo "$help_message"; exit 0 ;;
    --*) echo "$0: invalid option $1" >&2; exit 1 ;;
    *) break ;;
  esac
done
[ $# -eq 2 ] || { echo "$help_message" >&2; exit 1; }

asrkit_data split "${opts[@]}" "$1" "$2" > /dev/null
