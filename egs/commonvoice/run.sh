#!/usr/bin/env bash
# Mozilla Common Voice, one locale (default Catalan). Corpus location: db.sh.
#
#   ./run.sh                                   # all stages with the tiny configs
#   ./run.sh --local-data-opts "--locale es"   # another locale
#   ./run.sh --init /path/to/wav2vec2-large-xlsr-53 --finetune-configs conf/finetune_transfer.yaml
set -euo pipefail

./asr.sh \
  --train-set train \
  --valid-set dev \
  --test-sets "test" \
  --unlabeled-set unlabeled \
  --pretrain-configs conf/pretrain_tiny.yaml \
  --finetune-configs conf/finetune_tiny.yaml \
  --decode-configs "conf/decode_greedy.yaml conf/decode_beam.yaml" \
  "$@"
