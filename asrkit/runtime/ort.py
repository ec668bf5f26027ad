"""An exported CTC graph run by onnxruntime, called as the PyTorch model is::

    ctc = OrtCTC("export/model.onnx", threads=1)
    log_probs, lengths = ctc(inputs, lengths)        # torch tensors in, torch tensors out
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from asrkit.runtime.graph import INPUTS, ExportError


class OrtCTC:
    """``model.onnx`` in an onnxruntime CPU session with ``threads`` intra-op threads
    (0: onnxruntime's default, one per core)."""

    def __init__(self, path: str | Path, threads: int = 1) -> None:
        import onnxruntime as ort

        self.path = Path(path)
        if not self.path.is_file():
            raise ExportError(f"{self.path}: no such ONNX model")
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self.session = ort.InferenceSession(str(self.path), options, providers=["CPUExecutionProvider"])
        names = [i.name for i in self.session.get_inputs()]
        if tuple(names) != INPUTS:
            raise ExportError(f"{self.path}: inputs {names}, expected {list(INPUTS)} (not an asrkit export?)")
        self.metadata = self.session.get_modelmeta().custom_metadata_map

    def __call__(self, inputs: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Log-probs [B, T', V] and lengths [B] of padded ``inputs`` with ``lengths``."""
        x = np.ascontiguousarray(inputs.detach().cpu().numpy(), dtype=np.float32)
        n = lengths.detach().cpu().numpy().astype(np.int64)
        log_probs, out_lengths = self.session.run(None, {"x": x, "x_lens": n})
        return torch.from_numpy(log_probs), torch.from_numpy(out_lengths)
