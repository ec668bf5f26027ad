"""The names of the files the stages leave for each other, in one place (as icefall keeps
its output naming in one helper).

A recipe's experiment tree::

    exp/<asr_exp>/                     fine-tuning (stage 4)
        model.pt  tokenizer/  model_info.json  feature_config.yaml
        decode_<tag>/<test_set>/       decoding (stage 5)
            hyp  nbest  timing.json  decode_info.json
            score/score.json           scoring (stage 6), with the text reports
    exp/<cls_exp>/                     classification (stage 7)
        model.pt  model_info.json  classes.txt
        eval_<test_set>/               classify_score.json  predictions.tsv  confusion.png ...
    exp/<cls_exp or asr_exp>/explain/<test_set>/   explanations (stage 8)
        <utt>.png  aopc.json  aopc.md  deletion_curves.png  excluded_utts.txt
    RESULTS.md                         every score.json (and classify_score.json) under exp/

A stage writes these names and the next one reads them; neither imports the other.
"""

MODEL_FILE = "model.pt"  # the model decoding uses: the best checkpoint or the average of the best
TOKENIZER_DIR = "tokenizer"
MODEL_INFO = "model_info.json"  # what the model is, for RESULTS.md
FEATURE_CONFIG = "feature_config.yaml"  # stage 2's settings of the training data (model_input.py)
HYP = "hyp"  # Kaldi text: <utt> <words...>
NBEST = "nbest"  # <utt> <rank> <score> <words...>
TIMING = "timing.json"
DECODE_INFO = "decode_info.json"  # decoder settings, model and timing, for RESULTS.md
SCORE_DIR = "score"  # inside the decode directory
SCORE_JSON = "score.json"
RESULTS_MD = "RESULTS.md"
CLASSIFY_SCORE = "classify_score.json"  # exp/<cls_exp>/eval_<set>/: stage 7's scores, for RESULTS.md
PREDICTIONS = "predictions.tsv"  # stage 7: <utt> <true> <predicted> <p(class)...>, tab-separated
EXPLAIN_DIR = "explain"  # exp/<exp>/explain/<set>/: stage 8
AOPC_JSON = "aopc.json"  # stage 8: the deletion test per method, for the README/RESULTS
COMPARISON_MD = "comparison.md"  # exp/<grid>/: asrkit-experiment's table, a section of RESULTS.md
