import argparse

import pytest

from asrkit.train.cli import add_train_arguments, device_for, fit_arguments


def parse(*argv):
    parser = argparse.ArgumentParser()
    add_train_arguments(parser)
    return parser.parse_args(argv)


def test_stage_options_map_to_fit_and_device():
    args = parse("--no-resume", "--init-from", "exp/a/checkpoint_best.pt", "--init-optimizer", "--ngpu", "0")
    assert fit_arguments(args) == {"resume": False, "init_from": args.init_from, "init_optimizer": True}
    assert str(args.init_from) == "exp/a/checkpoint_best.pt"
    assert device_for(args.ngpu) == "cpu" and device_for(2) == "cuda" and device_for(None) == "auto"
    assert fit_arguments(parse()) == {"resume": True, "init_from": None, "init_optimizer": False}


def test_init_optimizer_without_init_from_is_refused():
    with pytest.raises(ValueError, match="--init-from"):
        fit_arguments(parse("--init-optimizer"))
