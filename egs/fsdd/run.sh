#!/usr/bin/env bash
# Free Spoken Digit Dataset: 8 kHz English digits (resampled to 16 kHz in stage 2).
# Corpus location: db.sh.
set -euo pipefail

./asr.sh \
  --train-set train \
  --valid-set dev \
  --test-sets "test" \
  --pretrain-configs conf/pretrain_tiny.yaml \
  --finetune-configs conf/finetune_tiny.yaml \
  --decode-configs "conf/decode_greedy.yaml" \
  "$@"
