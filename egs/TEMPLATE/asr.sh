#!/usr/bin/env bash
# The stages every asrkit recipe shares (as ESPnet's asr.sh). A recipe's run.sh sets its
# data sets and configs and calls this script; stage 1 runs the recipe's local/data.sh.
#
#   1 data prep     local/data.sh                     -> data/<set>/           (Kaldi data dirs)
#   2 dump          asrkit-dump                       -> dump/<feats>/<set>/   (ark/scp)
#   3 SSL pretrain  asrkit-pretrain                   -> exp/ssl_<tag>/
#   4 fine-tune     asrkit-finetune (CTC)             -> exp/asr_<tag>/
#     or BL-JUST    asrkit-bljust (--train-mode bljust: joint SSL + CTC) -> exp/asr_<tag>/
#   5 LM + decode   asrkit-lm, asrkit-decode          -> exp/asr_<tag>/decode_<dtag>/<test>/hyp
#   6 score         asrkit-score, RESULTS.md          -> .../<test>/score/, RESULTS.md
#   7 classify      asrkit-classify (--classify-targets) -> exp/cls_<target>_<tag>/eval_<test>/
#   8 explain       asrkit-explain (--explain-models)  -> exp/<cls or asr exp>/explain/<test>/
#   9 export        asrkit-export (ONNX, INT8, parity)  -> exp/asr_<tag>/export/
#
# Each stage skips work that finished before (a .done marker in its output directory);
# training resumes from its last checkpoint; pass --force true to redo finished work.
set -euo pipefail

log() { echo "$(date '+%Y-%m-%dT%H:%M:%S') (asr.sh:${BASH_LINENO[0]}) $*"; }
die() { log "ERROR: $*" >&2; exit 1; }

help_message="Usage: $0 [options]   (a recipe's run.sh passes its own values for some of them)
Options:"

# ---- options: --help lists every name=value line from here to parse_options.sh
# General
stage=1               # first stage to run
stop_stage=100        # last stage to run
nj=4                  # parallel jobs for dump and decoding
ngpu=0                # GPUs for training (0: CPU; >1: DDP through torchrun/srun)
force=false           # redo stages whose .done marker exists
skip_data_prep=false  # skip stages 1-2
skip_pretrain=false   # skip stage 3 (fine-tune from --init instead)
skip_train=false      # skip stages 3-4
skip_eval=false       # skip stages 5-6
dumpdir=dump          # dumped features: <dumpdir>/<feats_type>/<set>
expdir=exp            # experiments (asrkit-experiment gives each arm of a grid its own)
results=RESULTS.md    # stage 6 tabulates every score under ${expdir} here ("": it does not)

# Data
train_set=            # labelled training set (data/<train_set>)
valid_set=            # development set for validation and early stopping
test_sets=            # sets to decode and score (space separated)
unlabeled_set=        # pool for SSL pretraining (default: train_set)
local_data_opts=      # options passed to local/data.sh
feats_type=raw        # raw (waveform, wav2vec 2.0) | fbank (fbank baseline)
audio_sample_rate=16000  # the rate stage 2 resamples all audio to
speed_perturb_factors=  # e.g. "0.9 1.0 1.1": perturb the training set before dumping
dump_opts=            # extra options for asrkit-dump

# Stage 3: SSL pretraining (one experiment per config)
pretrain_configs="conf/pretrain_tiny.yaml"  # space separated
pretrain_opts=        # extra options, e.g. "--set optim.lr=1e-3"

# Stage 4: CTC fine-tuning (one experiment per config, for each pretraining experiment)
finetune_configs="conf/finetune_tiny.yaml"  # space separated
finetune_opts=        # extra options, e.g. "--set finetune.average_best=3"
init=ssl              # ssl (stage-3 result) | none (random init) | path to a HF dir or fairseq .pt
train_mode=pretrain_finetune  # pretrain_finetune | bljust (stage 4 trains asrkit-bljust: joint SSL + CTC)
bljust_configs="conf/bljust_tiny.yaml"  # --train-mode bljust: one experiment per config (for each SSL model)
bljust_opts=          # extra options for asrkit-bljust, e.g. "--set bljust.gamma.max=0.5"

# Stage 5: LM and decoding
use_lm=false          # train an n-gram LM on the training text and beam-search with it
lm_unit=word          # word (lexicon decoding; unknown words allowed unless unk_score: -.inf) | char (lexicon-free)
lm_order=3            # e.g. 3 for words, 8 for characters
lm_text=              # external LM text (default: transcripts of train_set)
decode_configs="conf/decode_greedy.yaml"  # space separated; beam configs use the LM (use_lm)
decode_opts=          # extra options for asrkit-decode, e.g. "--set decoder.beam_size=20"

# Stage 7: utterance classification (one experiment per target and config), scored on test_sets
classify_targets=     # e.g. "accent gender lang": the utt2<target> labels of the data dirs ("": no stage 7)
classify_configs="conf/classify_tiny.yaml"  # space separated
classify_opts=        # extra options for asrkit-classify train
classify_init=        # encoder: default the first stage-3 experiment (--init ssl), else --init

# Stage 8: explanations (Grad-CAM, saliency, integrated gradients; a deletion test) on test_sets
explain_models=       # cls (stage 7's classifiers), asr (stage 4's CTC models) or "cls asr" ("": no stage 8)
explain_num_utts=4    # utterances drawn from each test set
explain_opts=         # extra options for asrkit-explain, e.g. "--layer layer:-1 --ctc-target word:1"

# Stage 9: export (ONNX graph, INT8 models; parity checked on the first test set)
export=false          # true: stage 9 exports every CTC model (it also runs when --stage is 9)
export_opts=          # extra options for asrkit-export, e.g. "--format onnx,onnx-int8 --sherpa yes"

. utils/parse_options.sh
. ./path.sh
. ./cmd.sh

[ -n "${train_set}" ] || die "--train-set is required"
[ -n "${valid_set}" ] || die "--valid-set is required"
[ -n "${unlabeled_set}" ] || unlabeled_set=${train_set}
if "${skip_data_prep}"; then stage=$(( stage > 3 ? stage : 3 )); fi
case ${train_mode} in pretrain_finetune|bljust) ;; *) die "--train-mode ${train_mode}: pretrain_finetune or bljust" ;; esac

run_stage() { [ "${stage}" -le "$1" ] && [ "${stop_stage}" -ge "$1" ]; }
done_or_forced() { [ -f "$1/.done" ] && ! "${force}"; }
# An experiment's tag: the config's name, plus its extra options when there are any (as
# ESPnet's asr_tag), so "--set model.rvq.num_levels=8" gets a directory of its own.
tag_of() {
  local tag; tag=$(basename "$1" .yaml)
  if [ -n "${2:-}" ]; then tag+="_$(echo "$2" | sed -e 's/--set //g; s/--//g; s/[ =\/]\+/_/g')"; fi
  echo "${tag}"
}

# The experiments: stage 3 gives one SSL model per pretraining config, stage 4 one CTC model
# per (SSL model, fine-tuning config) pair; with --init none or a checkpoint path, none.
ssl_dirs=()
if [ "${init}" = ssl ] && ! "${skip_pretrain}"; then
  for c in ${pretrain_configs}; do ssl_dirs+=("${expdir}/ssl_$(tag_of "${c}" "${pretrain_opts}")"); done
fi
# BL-JUST (--train-mode bljust) takes stage 4's place: from a stage-3 model its exploration is
# that pretraining, from none it explores itself; its experiments are named and decoded alike.
train_configs=${finetune_configs} train_opts=${finetune_opts}
if [ "${train_mode}" = bljust ]; then train_configs=${bljust_configs} train_opts=${bljust_opts}; fi
asr_dirs=() asr_inits=() asr_configs=()
for fc in ${train_configs}; do
  if [ "${init}" = ssl ] && ! "${skip_pretrain}"; then
    for s in "${ssl_dirs[@]}"; do
      asr_dirs+=("${expdir}/asr_$(tag_of "${fc}" "${train_opts}")_from_${s##*/ssl_}")
      asr_inits+=("${s}/checkpoint_best.pt") asr_configs+=("${fc}")
    done
  elif [ "${init}" = ssl ] || [ "${init}" = none ]; then
    asr_dirs+=("${expdir}/asr_$(tag_of "${fc}" "${train_opts}")_scratch") asr_inits+=(none)
    asr_configs+=("${fc}")
  else
    asr_dirs+=("${expdir}/asr_$(tag_of "${fc}" "${train_opts}")_from_$(basename "${init%/}" .pt)")
    asr_inits+=("${init}") asr_configs+=("${fc}")
  fi
done

if run_stage 1 && ! "${skip_data_prep}"; then
  log "Stage 1: data preparation (local/data.sh ${local_data_opts})"
  # shellcheck disable=SC2046,SC2086
  local/data.sh $( "${force}" && echo --force true ) ${local_data_opts}
  for s in ${train_set} ${valid_set} ${test_sets} ${unlabeled_set}; do
    utils/validate_data_dir.sh --no-feats "data/${s}"
  done
fi

if run_stage 2 && ! "${skip_data_prep}"; then
  log "Stage 2: dump ${feats_type} features to ${dumpdir}/${feats_type}"
  sets="${train_set} ${valid_set} ${test_sets} ${unlabeled_set}"
  if [ -n "${speed_perturb_factors}" ]; then
    sp_parts=()
    for f in ${speed_perturb_factors}; do
      if [ "${f}" = 1.0 ] || [ "${f}" = 1 ]; then sp_parts+=("data/${train_set}"); continue; fi
      utils/perturb_data_dir_speed.sh "${f}" "data/${train_set}" "data/${train_set}_sp${f}"
      sp_parts+=("data/${train_set}_sp${f}")
    done
    utils/combine_data.sh "data/${train_set}_sp" "${sp_parts[@]}"
    sets="${sets/${train_set} /${train_set}_sp }"
  fi
  for s in $(echo "${sets}" | tr ' ' '\n' | awk 'NF && !seen[$0]++'); do
    out=${dumpdir}/${feats_type}/${s}
    # asrkit-dump itself skips a finished dump of the same data and settings (and refuses
    # to overwrite one made from other data or settings without --force).
    # shellcheck disable=SC2086
    asrkit-dump --cmd "${train_cmd}" --nj "${nj}" --type "${feats_type}" \
      --sample-rate "${audio_sample_rate}" $("${force}" && echo --force) ${dump_opts} "data/${s}" "${out}"
  done
fi
train_dump=${dumpdir}/${feats_type}/${train_set}
[ -n "${speed_perturb_factors}" ] && train_dump=${train_dump}_sp

if run_stage 3 && ! "${skip_train}" && [ "${#ssl_dirs[@]}" -gt 0 ]; then
  for c in ${pretrain_configs}; do
    dir=${expdir}/ssl_$(tag_of "${c}" "${pretrain_opts}")
    if done_or_forced "${dir}"; then log "Stage 3: ${dir} already trained"; continue; fi
    log "Stage 3: SSL pretraining ${c} on ${unlabeled_set} -> ${dir} (log: ${dir}/log/pretrain.log)"
    # shellcheck disable=SC2086
    ${cuda_cmd} --gpu "${ngpu}" "${dir}/log/pretrain.log" \
      asrkit-pretrain --ngpu "${ngpu}" --config "${c}" \
        --train-data "${dumpdir}/${feats_type}/${unlabeled_set}" \
        --valid-data "${dumpdir}/${feats_type}/${valid_set}" \
        --exp-dir "${dir}" $("${force}" && echo --force --no-resume) ${pretrain_opts}
  done
fi

if run_stage 4 && ! "${skip_train}" && [ "${train_mode}" = bljust ]; then
  held_out=()
  for t in ${test_sets}; do held_out+=(--held-out-data "${dumpdir}/${feats_type}/${t}"); done
  for i in "${!asr_dirs[@]}"; do
    dir=${asr_dirs[$i]}
    if done_or_forced "${dir}"; then log "Stage 4: ${dir} already trained"; continue; fi
    log "Stage 4: BL-JUST ${asr_configs[$i]} (init: ${asr_inits[$i]}, unlabeled: ${unlabeled_set}) -> ${dir}" \
        "(log: ${dir}/log/bljust.log)"
    # shellcheck disable=SC2086
    ${cuda_cmd} --gpu "${ngpu}" "${dir}/log/bljust.log" \
      asrkit-bljust --ngpu "${ngpu}" --config "${asr_configs[$i]}" --init "${asr_inits[$i]}" \
        --train-data "${train_dump}" --unlabeled-data "${dumpdir}/${feats_type}/${unlabeled_set}" \
        --valid-data "${dumpdir}/${feats_type}/${valid_set}" "${held_out[@]}" \
        --exp-dir "${dir}" $("${force}" && echo --force --no-resume) ${bljust_opts}
  done
elif run_stage 4 && ! "${skip_train}"; then
  for i in "${!asr_dirs[@]}"; do
    dir=${asr_dirs[$i]}
    if done_or_forced "${dir}"; then log "Stage 4: ${dir} already trained"; continue; fi
    log "Stage 4: CTC fine-tuning ${asr_configs[$i]} (init: ${asr_inits[$i]}) -> ${dir}" \
        "(log: ${dir}/log/finetune.log)"
    # shellcheck disable=SC2086
    ${cuda_cmd} --gpu "${ngpu}" "${dir}/log/finetune.log" \
      asrkit-finetune --ngpu "${ngpu}" --config "${asr_configs[$i]}" --init "${asr_inits[$i]}" \
        --train-data "${train_dump}" --valid-data "${dumpdir}/${feats_type}/${valid_set}" \
        --exp-dir "${dir}" $("${force}" && echo --force --no-resume) ${finetune_opts}
  done
fi

lm=
if "${use_lm}"; then lm=${expdir}/lm_${lm_unit}_${lm_order}gram/lm.arpa; fi
# The LM joins beam-search configs only; greedy decoding has no use for it.
lm_of() { if [ -n "${lm}" ] && grep -Eq 'kind: *beam' "$1"; then echo "${lm}"; fi; }
# decode_<config>[_lm_<unit>_<order>gram]: each LM decodes into its own directory
decode_dir() { local l; l=$(lm_of "$2"); echo "$1/$(tag_of "$2" "${decode_opts}")${l:+_$(basename "$(dirname "${l}")")}/$3"; }
if run_stage 5 && ! "${skip_eval}"; then
  if "${use_lm}" && ! done_or_forced "$(dirname "${lm}")"; then
    log "Stage 5: training a ${lm_unit} ${lm_order}-gram LM -> ${lm}"
    asrkit-lm --order "${lm_order}" --unit "${lm_unit}" --text "${lm_text:-data/${train_set}/text}" \
      --kaldi-text "$([ -z "${lm_text}" ] && echo true || echo false)" --out "${lm}"
  fi
  for dir in "${asr_dirs[@]}"; do
    for dc in ${decode_configs}; do
      for t in ${test_sets}; do
        out=$(decode_dir "${dir}" "${dc}" "${t}")
        dlm=$(lm_of "${dc}")
        if done_or_forced "${out}"; then log "Stage 5: ${out} already decoded"; continue; fi
        log "Stage 5: decoding ${t} with ${dir} (${dc}) -> ${out}/hyp"
        # shellcheck disable=SC2086
        asrkit-decode --cmd "${decode_cmd}" --nj "${nj}" --config "${dc}" \
          --model "${dir}" --data "${dumpdir}/${feats_type}/${t}" --out "${out}" \
          ${dlm:+--lm "${dlm}"} ${decode_opts}
      done
    done
  done
fi

# RESULTS.md from every score under ${expdir} (ASR and classification); --results "" skips it.
collect_results() {
  if [ -n "${results}" ]; then
    asrkit-score results "${expdir}" --out "${results}"
    log "Results collected in $(pwd)/${results}"
  fi
}

if run_stage 6 && ! "${skip_eval}"; then
  for dir in "${asr_dirs[@]}"; do
    for dc in ${decode_configs}; do
      for t in ${test_sets}; do
        out=$(decode_dir "${dir}" "${dc}" "${t}")
        log "Stage 6: scoring ${out}"
        asrkit-score --ref "data/${t}/text" --hyp "${out}/hyp" --data "data/${t}" --out "${out}/score"
      done
    done
  done
  collect_results
fi
# Stage 7's experiments: one per (target, config), named for where the encoder came from.
cinit=${classify_init:-${init}}
if [ "${cinit}" = ssl ]; then
  cinit=none
  [ "${#ssl_dirs[@]}" -gt 0 ] && cinit=${ssl_dirs[0]}/checkpoint_best.pt
fi
case ${cinit} in
  none) cls_from=scratch ;;
  */checkpoint_*.pt) cls_from=$(basename "$(dirname "${cinit}")"); cls_from=${cls_from#ssl_} ;;
  *) cls_from=$(basename "${cinit%/}" .pt) ;;
esac
cls_dir() { echo "${expdir}/cls_$1_$(tag_of "$2" "${classify_opts}")_from_${cls_from}"; }

if run_stage 7 && [ -n "${classify_targets}" ]; then
  for target in ${classify_targets}; do
    for cc in ${classify_configs}; do
      dir=$(cls_dir "${target}" "${cc}")
      if done_or_forced "${dir}"; then
        log "Stage 7: ${dir} already trained"
      else
        log "Stage 7: ${target} classifier ${cc} (init: ${cinit}) -> ${dir} (log: ${dir}/log/classify.log)"
        # The unperturbed training set: speed perturbation shifts pitch, which gender and
        # accent labels would have to survive.
        # shellcheck disable=SC2086
        ${cuda_cmd} --gpu "${ngpu}" "${dir}/log/classify.log" \
          asrkit-classify train --ngpu "${ngpu}" --config "${cc}" --target "${target}" --init "${cinit}" \
            --train-data "${dumpdir}/${feats_type}/${train_set}" \
            --valid-data "${dumpdir}/${feats_type}/${valid_set}" \
            --exp-dir "${dir}" $("${force}" && echo --force --no-resume) ${classify_opts}
      fi
      for t in ${test_sets}; do
        if done_or_forced "${dir}/eval_${t}"; then continue; fi
        log "Stage 7: scoring ${dir} on ${t} -> ${dir}/eval_${t}"
        asrkit-classify eval --model "${dir}" --data "${dumpdir}/${feats_type}/${t}" --out "${dir}/eval_${t}"
      done
    done
  done
  collect_results
fi

if run_stage 8; then
  [ -n "${explain_models}" ] || log "Stage 8: nothing to explain (--explain-models cls, asr or \"cls asr\")"
  explain_dirs=()
  for m in ${explain_models}; do
    case ${m} in
      cls) for target in ${classify_targets}; do
             for cc in ${classify_configs}; do explain_dirs+=("$(cls_dir "${target}" "${cc}")"); done
           done ;;
      asr) explain_dirs+=("${asr_dirs[@]}") ;;
      *) die "--explain-models: '${m}' is neither cls nor asr" ;;
    esac
  done
  for dir in "${explain_dirs[@]}"; do
    [ -f "${dir}/model.pt" ] || die "Stage 8: ${dir}/model.pt not found; train it first (stage 4 or 7)"
    for t in ${test_sets}; do
      out=${dir}/explain/${t}
      if done_or_forced "${out}"; then log "Stage 8: ${out} already explained"; continue; fi
      log "Stage 8: explaining ${dir} on ${explain_num_utts} utterances of ${t} -> ${out}"
      # shellcheck disable=SC2086
      asrkit-explain --model "${dir}" --data "${dumpdir}/${feats_type}/${t}" --out "${out}" \
        --num-utts "${explain_num_utts}" $("${force}" && echo --force) ${explain_opts}
    done
  done
fi
if run_stage 9 && { "${export}" || [ "${stage}" -ge 9 ]; }; then
  t=${test_sets%% *}  # the parity check (and sherpa-onnx) runs on the first test set
  for dir in "${asr_dirs[@]}"; do
    out=${dir}/export
    if done_or_forced "${out}"; then log "Stage 9: ${out} already exported"; continue; fi
    log "Stage 9: exporting ${dir} -> ${out} (parity on ${t}; log: ${out}/log/export.log)"
    # shellcheck disable=SC2046,SC2086
    ${decode_cmd} "${out}/log/export.log" \
      asrkit-export "${dir}" --out "${out}" ${t:+--check-data "${dumpdir}/${feats_type}/${t}"} \
        --calib-data "${dumpdir}/${feats_type}/${valid_set}" $("${force}" && echo --force) ${export_opts}
    [ -f "${out}/parity.md" ] && cat "${out}/parity.md"
  done
fi
log "Done (stages ${stage}..${stop_stage})."
