#!/usr/bin/env bash
# CoVoST 2 source-language ASR over Common Voice clips, several source languages in one
# multilingual model (utt2lang gives per-language scores). Corpus location: db.sh.
set -euo pipefail

./asr.sh \
  --train-set train \
  --valid-set dev \
  --test-sets "test" \
  --pretrain-configs conf/pretrain_tiny.yaml \
  --finetune-configs conf/finetune_tiny.yaml \
  --decode-configs "conf/decode_greedy.yaml conf/decode_beam.yaml" \
  "$@"
