#!/usr/bin/env bash
# Kaldi's yesno: one speaker, eight Hebrew yes/no words per file; the smallest sanity check.
# There is no dev set, so validation uses test (as Kaldi's recipe has only the two).
set -euo pipefail

./asr.sh \
  --train-set train \
  --valid-set test \
  --test-sets "test" \
  --init none \
  --finetune-configs conf/finetune_tiny.yaml \
  --decode-configs "conf/decode_greedy.yaml" \
  "$@"
