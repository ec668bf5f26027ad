#!/usr/bin/env bash
# Kaldi's utils/utt2spk_to_spk2utt.pl (a bash script despite its name): utt2spk lines from
# the files or stdin become spk2utt lines on stdout, speakers in order of appearance.
. "$(dirname "${BASH_SOURCE[0]}")/asrkit_data.sh"
asrkit_data utt2spk-to-spk2utt "$@"
