"""A fine-tuned CTC model outside PyTorch training: ONNX graphs, INT8 models, other runtimes.

::

    graph.py      the ONNX graph of a CTC model (dynamic batch and time), tokens.txt and the
                  metadata sherpa-onnx reads; export_onnx(), read_metadata()
    ort.py        OrtCTC: an exported graph run by onnxruntime, as (inputs, lengths) -> log-probs
    quantize.py   INT8 dynamic quantization in PyTorch and onnxruntime, the per-layer
                  fallback that keeps a layer in float when quantizing it costs accuracy
    parity.py     the same utterances through each runtime: log-prob differences, greedy
                  transcripts, WER/CER, size and real-time factor (parity.json + parity.md)
    sherpa.py     the exported graph decoded by sherpa-onnx (a runtime asrkit did not write)

``asrkit-export`` (stage 9, :mod:`asrkit.export`) drives these; ``bench/export_runtime.py``
times them. Everything here starts from :func:`asrkit.inference.load_for_inference`.
"""
