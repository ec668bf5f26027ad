import math

import pytest
import torch

from asrkit.train import Meter, StepOutput


def steps():
    return [
        StepOutput(torch.tensor(6.0), 3, {"correct": 2.0, "acc": 2.0, "temp": 2.0, "frames": 3},
                   means=frozenset({"temp"}), totals=frozenset({"frames"})),
        StepOutput(torch.tensor(2.0), 1, {"correct": 1.0, "acc": 1.0, "temp": 1.0, "frames": 1},
                   means=frozenset({"temp"}), totals=frozenset({"frames"})),
    ]


def test_logs_aggregate_per_item_per_step_or_as_totals():
    meter = Meter()
    for out in steps():
        meter.add(out)
    values = meter.result()
    assert values["loss"] == pytest.approx(8 / 4)
    assert values["correct"] == pytest.approx(3 / 4)
    assert values["acc"] == pytest.approx(3 / 4)
    assert values["temp"] == pytest.approx(1.5)
    assert values["frames"] == 4


def test_meters_of_ranks_merge_to_the_meter_of_all_steps():
    a, b, both = Meter(), Meter(), Meter()
    first, second = steps()
    a.add(first)
    b.add(second)
    both.add(first)
    both.add(second)
    a.merge(b)
    assert a.result() == both.result()


def test_a_log_cannot_change_kind_and_empty_sample_size_gives_nan():
    meter = Meter()
    meter.add(StepOutput(torch.tensor(0.0), 0, {"x": 1.0}))
    assert math.isnan(meter.result()["loss"])
    with pytest.raises(ValueError, match="changed kind"):
        meter.add(StepOutput(torch.tensor(0.0), 0, {"x": 1.0}, means=frozenset({"x"})))


def test_add_steps_reads_tensor_logs_at_once_and_agrees_with_add():
    tensor_steps = [
        StepOutput(torch.tensor(6.0), torch.tensor(3), {"correct": torch.tensor(2.0), "temp": 2.0},
                   means=frozenset({"temp"})),
        StepOutput(torch.tensor(2.0), 1, {"correct": torch.tensor(1.0), "temp": torch.tensor(1.0)},
                   means=frozenset({"temp"})),
    ]
    one_by_one, at_once = Meter(), Meter()
    for out in tensor_steps:
        one_by_one.add(out)
    at_once.add_steps(tensor_steps, [out.loss for out in tensor_steps])
    assert at_once.result() == one_by_one.result()
    assert at_once.sample_size == 4.0
