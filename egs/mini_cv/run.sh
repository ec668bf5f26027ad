#!/usr/bin/env bash
# mini_cv: a multilingual (Catalan, Spanish, English) demo on a corpus that asrkit
# synthesizes itself with espeak-ng, in exactly the Common Voice layout, so it runs offline.
#
#   ./run.sh                           # all six stages, ~10 minutes on 2 CPU cores
#   ./run.sh --stage 3 --stop-stage 5  # only some stages (see ../TEMPLATE/asr.sh)
#   ./run.sh --init none               # the no-pretraining baseline
#   ./run.sh --finetune-configs conf/finetune_tiny_rvq.yaml
#   ./run.sh --stage 5 --use-lm false  # beam search without the word 3-gram
set -euo pipefail

./asr.sh \
  --train-set train \
  --valid-set dev \
  --test-sets "test" \
  --unlabeled-set unlabeled \
  --feats-type fbank \
  --pretrain-configs conf/pretrain_tiny.yaml \
  --finetune-configs conf/finetune_tiny.yaml \
  --decode-configs "conf/decode_greedy.yaml conf/decode_beam.yaml" \
  --use-lm true --lm-unit word --lm-order 3 \
  "$@"
