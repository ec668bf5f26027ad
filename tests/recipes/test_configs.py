"""Every recipe config loads with its stage's schema, and the study configs differ only where
the study says they do."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
import torch
import yaml

from asrkit import config as configlib
from asrkit import grid as gridlib
from asrkit.bljust import BLJustConfig
from asrkit.bljust import build_model as build_bljust
from asrkit.classify import ClassifyConfig
from asrkit.decode import DecodeStageConfig
from asrkit.finetune import FinetuneConfig
from asrkit.models.conformer import ConformerConfig
from asrkit.models.pretrained import with_overrides
from asrkit.models.quantizer import GumbelVectorQuantizer
from asrkit.models.wav2vec2 import SIZES, Wav2Vec2Config
from asrkit.pretrain import PretrainConfig, model_config

EGS = Path(__file__).resolve().parents[2] / "egs"
CONFIGS = sorted(EGS.glob("*/conf/*.yaml"))
OWN = ("commonvoice", "covost2", "fsdd", "librispeech", "yesno")
LIBRI = EGS / "librispeech" / "conf"


def _id(path: Path) -> str:
    return f"{path.parts[-3]}/{path.name}"


def _wav2vec2(base: Wav2Vec2Config, overrides: dict) -> Wav2Vec2Config:
    """What stage 4 builds: the size's (or the init checkpoint's) config, fine-tuning's
    defaults, then the config's overrides."""
    return with_overrides(base, overrides)


def check_pretrain(path: Path) -> None:
    cfg = configlib.load(PretrainConfig, path)
    cfg.train.check()
    mcfg = model_config(cfg.model)
    GumbelVectorQuantizer(mcfg.feature_dim, mcfg.num_codevector_groups,
                          mcfg.num_codevectors_per_group, mcfg.codevector_dim)


def check_finetune(path: Path) -> None:
    cfg = configlib.load(FinetuneConfig, path)
    cfg.train.check()
    if cfg.model.encoder == "conformer":
        c = cfg.model.conformer
        assert isinstance(c, ConformerConfig) and c.dim % c.num_heads == 0, f"{path}: dim % heads"
        return
    if "size" in (yaml.safe_load(path.read_text()).get("model") or {}):
        assert cfg.model.size in SIZES, f"{path}: unknown model.size {cfg.model.size}"
        _wav2vec2(SIZES[cfg.model.size](), cfg.model.wav2vec2)
    else:  # a transfer config: the overrides go onto an imported base or large checkpoint
        for size in ("base", "large"):
            _wav2vec2(SIZES[size](), cfg.model.wav2vec2)


def check_decode(path: Path) -> None:
    configlib.load(DecodeStageConfig, path)


def check_grid(path: Path) -> None:
    gridlib.load(path, recipe=path.parents[1])  # its configs must exist in the recipe


def check_bljust(path: Path) -> None:
    from asrkit.train.bilevel import Plan

    cfg = configlib.load(BLJustConfig, path)
    cfg.train.check()
    plan = Plan(cfg.bljust)
    assert not plan.warnings(), f"{path}: {plan.warnings()}"
    with torch.device("meta"):  # the model builds (sizes and masks fit) without the weights
        build_bljust("none", cfg, vocab_size=32)


def check_classify(path: Path) -> None:
    configlib.load(ClassifyConfig, path).train.check()


SCHEMAS = {"pretrain_": check_pretrain, "finetune_": check_finetune, "decode_": check_decode,
           "classify_": check_classify, "bljust_": check_bljust,
           "grid_": check_grid}


@pytest.mark.parametrize("path", CONFIGS, ids=_id)
def test_recipe_config_loads_with_its_schema(path):
    checks = [check for prefix, check in SCHEMAS.items() if path.name.startswith(prefix)]
    assert checks, (f"{path}: no schema for this name; recipe configs are pretrain_*.yaml, "
                    "finetune_*.yaml, decode_*.yaml or grid_*.yaml")
    checks[0](path)


@pytest.mark.parametrize("recipe", OWN)
def test_recipe_has_a_config_for_every_experiment_kind(recipe):
    names = {p.name for p in (EGS / recipe / "conf").glob("*.yaml")}
    for needed in ("finetune_transfer.yaml", "finetune_conformer.yaml", "decode_greedy.yaml",
                   "decode_beam.yaml"):
        assert needed in names, f"egs/{recipe}/conf lacks {needed}"
    assert any(re.fullmatch(r"pretrain_\w+\.yaml", n) for n in names)
    assert any(re.fullmatch(r"finetune_[a-z]+_rvq\.yaml", n) for n in names)
    for rvq in (n for n in names if re.fullmatch(r"finetune_\w+_rvq\.yaml", n)):
        assert configlib.load(FinetuneConfig, EGS / recipe / "conf" / rvq).model.rvq.num_levels > 0


@pytest.mark.parametrize("recipe", OWN)
def test_every_config_a_recipe_names_exists(recipe):
    root = EGS / recipe
    texts = [p for p in (root / "run.sh", root / "README.md", root / "sweep.sh") if p.exists()]
    texts += sorted((root / "conf").glob("*.yaml"))
    # conf/<name>.yaml of this recipe (egs/<other>/conf/... names another recipe's file)
    found = (re.findall(r"(?<![\w/])conf/([\w.-]+\.yaml)", p.read_text()) for p in texts)
    named = {(p.name, m) for p, names in zip(texts, found) for m in names}
    missing = sorted(f"{where} names conf/{m}" for where, m in named if not (root / "conf" / m).is_file())
    assert not missing, f"egs/{recipe}: " + "; ".join(missing)


def _plain(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


@pytest.mark.parametrize("groups", [2, 4, 8, 16])
@pytest.mark.parametrize("icsl", [False, True])
def test_icsl_study_configs_differ_from_pretrain_small_only_in_g_and_icsl(groups, icsl):
    name = "pretrain_small.yaml" if (groups, icsl) == (2, False) else \
        f"pretrain_small_g{groups}{'_icsl' if icsl else ''}.yaml"
    point = _plain(LIBRI / name)
    reference = _plain(LIBRI / "pretrain_small.yaml")
    assert point["model"]["num_codevector_groups"] == groups
    assert point["loss"]["icsl_weight"] == (0.1 if icsl else 0.0)
    point["model"]["num_codevector_groups"] = reference["model"]["num_codevector_groups"]
    point["loss"]["icsl_weight"] = reference["loss"]["icsl_weight"]
    assert point == reference, f"{name} differs from pretrain_small.yaml in more than G and λ_s"


@pytest.mark.parametrize("path", [p for p in CONFIGS if p.name.startswith("pretrain_")], ids=_id)
def test_codebooks_and_icsl_can_be_set_from_the_command_line(path):
    cfg = configlib.load(PretrainConfig, path, ["model.num_codevector_groups=8", "loss.icsl_weight=0.1"])
    mcfg = model_config(cfg.model)
    assert (mcfg.num_codevector_groups, cfg.loss.icsl_weight) == (8, 0.1)
    GumbelVectorQuantizer(mcfg.feature_dim, 8, mcfg.num_codevectors_per_group, mcfg.codevector_dim)


def test_rvq_study_config_differs_from_finetune_small_only_in_the_rvq():
    rvq, plain = _plain(LIBRI / "finetune_small_rvq.yaml"), _plain(LIBRI / "finetune_small.yaml")
    assert rvq["model"].pop("rvq")["num_levels"] > 0
    assert plain["model"].pop("rvq")["num_levels"] == 0
    assert rvq == plain


def test_rvq_levels_can_be_set_from_the_command_line():
    cfg = configlib.load(FinetuneConfig, LIBRI / "finetune_small_rvq.yaml", ["model.rvq.num_levels=16"])
    assert cfg.model.rvq.num_levels == 16
    cfg = configlib.load(FinetuneConfig, LIBRI / "finetune_small.yaml", ["model.rvq.num_levels=1"])
    assert cfg.model.rvq.num_levels == 1 and cfg.model.rvq.codebook_size == 256


# fairseq's examples/wav2vec/config/finetuning/base_10h.yaml over Wav2Vec2AsrConfig's defaults
# (fairseq/models/wav2vec/wav2vec2_asr.py): what a config that says it follows base_10h must give.
BASE_10H = {
    "mask_time_prob": 0.65, "mask_time_length": 10, "mask_channel_prob": 0.5,
    "mask_channel_length": 64, "layerdrop": 0.05, "activation_dropout": 0.1, "dropout": 0.0,
    "attention_dropout": 0.0, "dropout_input": 0.0,
}


@pytest.mark.parametrize("recipe", ["librispeech"])
def test_a_config_that_follows_fairseq_base_10h_matches_it(recipe):
    path = EGS / recipe / "conf" / "finetune_base.yaml"
    assert "base_10h" in path.read_text()
    cfg = configlib.load(FinetuneConfig, path)
    pretrained = dataclasses.replace(SIZES["base"](), dropout=0.1, attention_dropout=0.1,
                                     dropout_input=0.1, layerdrop=0.05)  # as pretrain_base.yaml
    effective = configlib.to_dict(_wav2vec2(pretrained, cfg.model.wav2vec2))
    assert {k: effective[k] for k in BASE_10H} == BASE_10H
    assert cfg.finetune.freeze_feature_encoder and cfg.finetune.freeze_encoder_updates == 10000
    assert cfg.train.max_updates == 20000 and cfg.train.optim.lr == 5e-5
    assert (cfg.train.schedule.name, list(cfg.train.schedule.phase_ratio),
            cfg.train.schedule.final_lr_scale) == ("tri_stage", [0.1, 0.4, 0.5], 0.05)
