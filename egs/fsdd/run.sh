#!/usr/bin/env bash
# Free Spoken Digit Dataset: 8 kHz English digits (resampled to 16 kHz in stage 2).
# Corpus location: db.sh. Stage 1 holds out whole speakers (local/data.sh --split speaker):
# a digit recognizer is tested on a voice it never heard. The default model is a small
# wav2vec 2.0 Transformer on fbank trained from scratch (no stage 3) with speed perturbation
# and noise on the fly; it is decoded greedily and over the ten digit words with a word LM.
set -euo pipefail

./asr.sh \
  --train-set train \
  --valid-set dev \
  --test-sets "test" \
  --feats-type fbank \
  --dump-opts "--set fbank.high_freq=4000" \
  --init none \
  --pretrain-configs conf/pretrain_tiny.yaml \
  --finetune-configs conf/finetune_fbank.yaml \
  --use-lm true \
  --lm-order 2 \
  --decode-configs "conf/decode_greedy.yaml conf/decode_lexicon.yaml" \
  "$@"
