#!/usr/bin/env bash
# LibriSpeech: 10 h Libri-light-style labelled subset (utterances > 5 s), the rest of the
# downloaded training audio as the SSL pool, dev-clean for validation, test-clean to score.
# Corpus location: db.sh. The ICSL / RVQ sweeps: see sweep.sh.
set -euo pipefail

./asr.sh \
  --train-set train_10h \
  --valid-set dev_clean \
  --test-sets "test_clean" \
  --unlabeled-set unlabeled \
  --pretrain-configs conf/pretrain_small.yaml \
  --finetune-configs conf/finetune_small.yaml \
  --decode-configs "conf/decode_greedy.yaml conf/decode_beam.yaml" \
  "$@"
