#!/usr/bin/env bash
# asrkit's own: fail, naming the speakers, when <dir> shares a speaker with any <other> dir,
# e.g. a pretraining pool or training set that holds a dev or test speaker.

help_message="Usage: $0 <dir> <other-dir>...
e.g.: $0 data/unlabeled data/dev data/test"

. "$(dirname "${BASH_SOURCE[0]}")/parse_options.sh" || exit 1
. "$(dirname "${BASH_SOURCE[0]}")/asrkit_data.sh"
[ $# -ge 2 ] || { echo "$help_message" >&2; exit 1; }

asrkit_data disjoint "$@"
