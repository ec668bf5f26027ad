"""``asrkit.models.load`` imports a kind's module by name and hides no broken import."""

import importlib

import pytest
import torch

import asrkit.models
from asrkit.models import CheckpointError


@pytest.fixture
def kinds_dir(tmp_path, monkeypatch):
    """A folder searched as part of the ``asrkit.models`` package, for made-up kind modules."""
    monkeypatch.setattr(asrkit.models, "__path__", [*asrkit.models.__path__, str(tmp_path)])
    importlib.invalidate_caches()
    return tmp_path


def _checkpoint(tmp_path, kind):
    torch.save({"model": {}, "model_config": {}, "kind": kind}, tmp_path / "ckpt.pt")
    return tmp_path / "ckpt.pt"


def test_a_kind_without_a_module_is_an_unknown_kind(tmp_path, kinds_dir):
    with pytest.raises(CheckpointError, match="unknown model kind 'nosuchkind'; known: .*wav2vec2"):
        asrkit.models.load(_checkpoint(tmp_path, "nosuchkind"))
    with pytest.raises(CheckpointError, match="unknown model kind '../etc'"):
        asrkit.models.load(_checkpoint(tmp_path, "../etc"))


def test_a_missing_module_inside_a_kinds_module_propagates(tmp_path, kinds_dir):
    (kinds_dir / "kind_needing_a_package.py").write_text("import a_package_not_installed_xyz\n")
    with pytest.raises(ModuleNotFoundError, match="a_package_not_installed_xyz"):
        asrkit.models.load(_checkpoint(tmp_path, "kind_needing_a_package"))


def test_a_broken_import_inside_a_kinds_module_propagates(tmp_path, kinds_dir):
    (kinds_dir / "kind_with_a_typo.py").write_text("from asrkit.models.wav2vec2 import Wav2Vec2Modle\n")
    with pytest.raises(ImportError, match="Wav2Vec2Modle"):
        asrkit.models.load(_checkpoint(tmp_path, "kind_with_a_typo"))


def test_weights_that_do_not_fit_are_named(tmp_path, micro_config):
    from asrkit.models.wav2vec2 import Wav2Vec2Model

    model = Wav2Vec2Model(micro_config())
    asrkit.models.save(tmp_path / "ckpt.pt", model, "wav2vec2")
    ckpt = torch.load(tmp_path / "ckpt.pt")
    ckpt["model"]["extra.weight"] = ckpt["model"].pop("encoder.layers.1.fc2.weight")
    torch.save(ckpt, tmp_path / "ckpt.pt")
    with pytest.raises(CheckpointError, match=r"missing \['encoder\.layers\.1\.fc2\.weight'\]; unexpected \['extra\.weight'\]"):
        asrkit.models.load(tmp_path / "ckpt.pt")
