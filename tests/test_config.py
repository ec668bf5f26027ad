"""Configs are plain data checked against dataclasses (asrkit.config)."""

from dataclasses import dataclass, field
from typing import Any, Literal

import pytest

from asrkit import config


@dataclass
class Optim:
    lr: float = 1e-3
    betas: tuple[float, float] = (0.9, 0.98)


@dataclass
class Stage:
    optim: Optim = field(default_factory=Optim)
    kind: Literal["char", "bpe"] = "char"
    updates: int = 10
    extra: dict[str, Any] = field(default_factory=dict)
    note: str | None = None


def test_unknown_key_is_named_with_its_dotted_path_and_the_valid_keys(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("optim:\n  lrr: 0.1\n")
    with pytest.raises(config.ConfigError, match=r"c\.yaml: unknown config key 'optim\.lrr'.*valid keys: betas, lr"):
        config.load(Stage, path)


def test_values_are_checked_and_coerced_by_type():
    cfg = config.from_dict(Stage, {"optim": {"lr": "1e-4", "betas": [0.8, 0.9]}, "updates": 5.0})
    assert cfg.optim.lr == 1e-4 and cfg.optim.betas == (0.8, 0.9) and cfg.updates == 5
    with pytest.raises(config.ConfigError, match="kind: 'word' is not one of"):
        config.from_dict(Stage, {"kind": "word"})
    with pytest.raises(config.ConfigError, match="updates: expected an integer"):
        config.from_dict(Stage, {"updates": 2.5})
    with pytest.raises(config.ConfigError, match="optim: expected a mapping"):
        config.from_dict(Stage, {"optim": 3})


def test_overrides_parse_yaml_values_and_reject_unknown_keys():
    cfg = config.override(Stage(), ["optim.lr=5e-5", "kind=bpe", "note=null"])
    assert (cfg.optim.lr, cfg.kind, cfg.note) == (5e-5, "bpe", None)
    with pytest.raises(config.ConfigError, match="unknown config key 'optim.momentum'"):
        config.override(Stage(), ["optim.momentum=0.9"])
    with pytest.raises(config.ConfigError, match="no config section 'optimizer'"):
        config.override(Stage(), ["optimizer.lr=1"])
    with pytest.raises(config.ConfigError, match="must look like"):
        config.override(Stage(), ["optim.lr"])


def test_free_form_mappings_take_new_keys_from_overrides():
    cfg = config.override(Stage(), ["extra.frontend=fbank", "extra.layers=2"])
    assert cfg.extra == {"frontend": "fbank", "layers": 2}


def test_save_then_load_gives_the_same_config(tmp_path):
    cfg = config.override(Stage(), ["optim.lr=2e-4", "extra.a=1"])
    config.save(cfg, tmp_path / "out" / "config.yaml")
    assert config.load(Stage, tmp_path / "out" / "config.yaml") == cfg


def test_missing_file_and_non_mapping_are_clear_errors(tmp_path):
    with pytest.raises(config.ConfigError, match="does not exist"):
        config.load(Stage, tmp_path / "none.yaml")
    (tmp_path / "list.yaml").write_text("- 1\n")
    with pytest.raises(config.ConfigError, match="top level must be a mapping"):
        config.load(Stage, tmp_path / "list.yaml")
