#!/usr/bin/env bash
# Kaldi's utils/combine_data.sh: merge data dirs (asrkit-data combine). A repeated
# utterance id is an error; tables not present in every source are left out.

extra_files=  # accepted for Kaldi compatibility: every table present in all sources is merged
skip_fix=false
help_message="Usage: $0 <dest-data-dir> <src-data-dir1> <src-data-dir2> ...
e.g.: $0 data/train data/train_a data/train_b"

. "$(dirname "${BASH_SOURCE[0]}")/parse_options.sh" || exit 1
. "$(dirname "${BASH_SOURCE[0]}")/asrkit_data.sh"
[ $# -ge 2 ] || { echo "$help_message" >&2; exit 1; }

asrkit_data combine "$@"
