#!/usr/bin/env bash
# Kaldi's utils/spk2utt_to_utt2spk.pl (a bash script despite its name): spk2utt lines from
# the files or stdin become utt2spk lines on stdout.
. "$(dirname "${BASH_SOURCE[0]}")/asrkit_data.sh"
asrkit_data spk2utt-to-utt2spk "$@"
