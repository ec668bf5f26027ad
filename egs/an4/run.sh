#!/usr/bin/env bash
# CMU AN4 (census), ESPnet's first recipe: spelled names, numbers and a few commands, 16 kHz.
# No pretraining: a small fbank Conformer CTC from scratch with SpecAugment, characters as
# units, greedy and beam decoding with a character 6-gram LM from the training transcripts.
# Corpus location: db.sh. Speed perturbation: --speed-perturb-factors "0.9 1.0 1.1" (3x time).
set -euo pipefail

./asr.sh \
  --train-set train \
  --valid-set dev \
  --test-sets "test" \
  --feats-type fbank \
  --init none \
  --finetune-configs conf/finetune_conformer.yaml \
  --decode-configs "conf/decode_greedy.yaml conf/decode_beam.yaml" \
  --use-lm true --lm-unit char --lm-order 6 \
  "$@"
