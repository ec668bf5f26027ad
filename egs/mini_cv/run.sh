#!/usr/bin/env bash
# mini_cv: a multilingual (Catalan, Spanish, English) demo on a corpus that asrkit
# synthesizes itself with espeak-ng, in exactly the Common Voice layout, so it runs offline.
#
#   ./run.sh                           # all six stages, ~10 minutes on 2 CPU cores
#   ./run.sh --stage 3 --stop-stage 5  # only some stages (see ../TEMPLATE/asr.sh)
#   ./run.sh --init none               # the no-pretraining baseline
#   ./run.sh --finetune-configs conf/finetune_tiny_rvq.yaml
#   ./run.sh --stage 5 --use-lm false  # beam search without the word 3-gram
#
# The low-resource setting (README.md, "Low-resource setting"):
#   --labeled-minutes N      train on data/train_<N>min: N minutes of transcribed speech per
#                            language; several ("5 10 20 40") prepare each in stage 1 and stop
#   --unlabeled-minutes M    the SSL pool, data/unlabeled, holds M minutes (all languages):
#                            the corpus grows with more train speakers; dev and test stay
#   ./run.sh --labeled-minutes 10 --unlabeled-minutes 180 --expdir exp/train_10min
set -euo pipefail

labeled_minutes=
unlabeled_minutes=
data_opts=
args=()
while [ $# -gt 0 ]; do
  case $1 in
    --labeled-minutes) labeled_minutes=$2; shift 2 ;;
    --unlabeled-minutes) unlabeled_minutes=$2; shift 2 ;;
    --local-data-opts) data_opts=$2; shift 2 ;;
    *) args+=("$1"); shift ;;
  esac
done
read -ra labeled <<< "${labeled_minutes//,/ }"
train_set=train${labeled[0]:+_${labeled[0]}min}
data_opts+="${labeled_minutes:+ --labeled-minutes ${labeled_minutes// /,}}"
data_opts+="${unlabeled_minutes:+ --unlabeled-minutes ${unlabeled_minutes}}"
if [ "${#labeled[@]}" -gt 1 ]; then
  echo "run.sh: ${#labeled[@]} labeled amounts: stage 1 prepares each; train with one --labeled-minutes N" >&2
  args+=(--stop-stage 1)
fi

./asr.sh \
  --train-set "${train_set}" \
  --valid-set dev \
  --test-sets "test" \
  --unlabeled-set unlabeled \
  --local-data-opts "${data_opts}" \
  --feats-type fbank \
  --pretrain-configs conf/pretrain_tiny.yaml \
  --finetune-configs conf/finetune_tiny.yaml \
  --decode-configs "conf/decode_greedy.yaml conf/decode_beam.yaml" \
  --use-lm true --lm-unit word --lm-order 3 \
  "${args[@]}"
