"""sherpa-onnx (pip) decodes the exported micro fbank model from the audio files, computing
the features itself, as asrkit decodes the dumped features."""

from __future__ import annotations

import json

import pytest
import torch

from asrkit.data import read_table
from asrkit.decoding import greedy_search
from asrkit.features import load_feature
from asrkit.inference import load_for_inference
from asrkit.model_input import input_spec
from asrkit.runtime import graph
from asrkit.runtime.sherpa import SherpaContractError, SherpaCTC, feature_settings

pytest.importorskip("onnxruntime", reason="onnxruntime is not installed (asrkit's 'export' extra)")


@pytest.fixture(scope="module")
def exported(fbank_exp, tmp_path_factory):
    model, tokenizer = load_for_inference(fbank_exp)
    out = tmp_path_factory.mktemp("export")
    graph.export_onnx(model, out / "model.onnx", graph.metadata(model, tokenizer, input_spec(fbank_exp, model)))
    graph.write_tokens(tokenizer, out / "tokens.txt")
    return out, model, tokenizer


def test_sherpa_onnx_decodes_the_exported_fbank_model_as_asrkit_does(exported, dumped):
    pytest.importorskip("sherpa_onnx", reason="sherpa-onnx is not installed (asrkit's 'export' extra)")
    out, model, tokenizer = exported
    dump = dumped("fbank")
    feats = read_table(dump / "feats.scp")
    wav_rate = {u: 8000 if int(u.split("-")[1]) % 2 else 16000 for u in feats}
    ours = {}
    for utt, value in feats.items():
        x = torch.from_numpy(load_feature(value).copy())[None]
        with torch.inference_mode():
            o = model(x, torch.tensor([x.shape[1]]))
        ours[utt] = tokenizer.decode(greedy_search(o.log_probs, o.lengths)[0][0])
    rec = SherpaCTC(out)
    got = rec.decode_data_dir(dump)
    assert set(got["hyps"]) == set(ours) and got["audio_seconds"] > 3 and got["seconds"] > 0
    assert got["rates"] == {16000: 3, 8000: 3}
    # At the model's own rate the features are Kaldi's, as stage 2 computed them. sherpa-onnx
    # 2.0.1's fbank varies in the last bits from run to run (a graph that echoes its input
    # shows it), which can flip a random model's near-tie frames: a character, not a transcript.
    native = [u for u in ours if wav_rate[u] == 16000]
    assert _cer([ours[u] for u in native], [got["hyps"][u] for u in native]) < 0.1
    # resampled as stage 2 resamples (soxr), the 8 kHz files are the model's input too
    again = rec.decode_data_dir(dump, resample=True)
    assert again["rates"] == got["rates"]
    assert _cer([ours[u] for u in native], [again["hyps"][u] for u in native]) < 0.1


def _cer(refs: list[str], hyps: list[str]) -> float:
    from asrkit.wer import error_rates

    return error_rates(refs, hyps)["cer"]


def test_feature_settings_sherpa_onnx_cannot_reproduce_are_named(exported):
    out = exported[0]
    meta = graph.read_metadata(out / "model.onnx")
    settings = feature_settings(meta)
    assert settings["snip_edges"] is True and settings["high_freq"] == 0.0
    assert settings["normalize_samples"] is False  # Kaldi's 16-bit sample scale
    feature = json.loads(meta["feature"])
    feature["fbank"]["window_type"] = "hamming"
    with pytest.raises(SherpaContractError, match="window_type='hamming'"):
        feature_settings({**meta, "feature": json.dumps(feature)})
    with pytest.raises(SherpaContractError, match="only fbank models"):
        feature_settings({**meta, "model_type": "asrkit_ctc_waveform"})
