#!/usr/bin/env bash
# Kaldi's utils/validate_data_dir.sh: check a data directory (asrkit-data validate).
# It checks everything Kaldi's does, and also that transcripts are not empty, every
# utt2*/spk2*/reco2* table covers all ids, segments end inside reco2dur, and plain
# wav.scp paths exist (skip that with --no-check-files).

help_message="Usage: $0 [--no-feats] [--no-text] [--no-wav] [--no-spk-sort] [--no-check-files] <data-dir>
The --no-xxx options make xxx optional; it is still checked when present.
--no-spk-sort: utt2spk need not be sorted by speaker as well as by utterance
(which making speaker ids prefixes of utterance ids achieves).
e.g.: $0 --no-feats data/train"

. "$(dirname "${BASH_SOURCE[0]}")/asrkit_data.sh"

opts=()
while [ $# -gt 0 ]; do
  case $1 in
    --no-feats|--no-text|--no-wav|--no-spk-sort|--no-check-files) opts+=("$1"); shift ;;
    --help|-h) echo "$help_message"; exit 0 ;;
    --*) echo "$0: invalid option $1" >&2; echo "$help_message" >&2; exit 1 ;;
    *) break ;;
  esac
done
[ $# -eq 1 ] || { echo "$help_message" >&2; exit 1; }

asrkit_data validate "${opts[@]}" "$1"
