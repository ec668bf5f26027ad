"""Each front end's feature encoder makes the frames its length arithmetic promises."""

import pytest
import torch

from asrkit.models.frontend import (
    FbankFeatureEncoder,
    FeatureEncoder,
    conv_output_lengths,
    receptive_field,
)

WAVE_LAYERS = [(8, 10, 5), (8, 3, 2), (8, 2, 2)]
FBANK_LAYERS = [(8, 3, 1), (8, 3, 2)]


@pytest.mark.parametrize("frontend", ["waveform", "fbank"])
def test_output_frames_and_receptive_field_match_the_convs(frontend):
    if frontend == "waveform":
        encoder, layers = FeatureEncoder(WAVE_LAYERS, "group_norm", bias=False), WAVE_LAYERS
        shape = lambda n: (1, n)  # noqa: E731
    else:
        encoder, layers = FbankFeatureEncoder(80, FBANK_LAYERS), FBANK_LAYERS
        shape = lambda n: (1, n, 80)  # noqa: E731
    shortest = receptive_field(layers)
    for n in (shortest, shortest + 1, 97, 400):
        frames = encoder(torch.randn(shape(n)), None).shape[-1]
        assert frames == int(conv_output_lengths(torch.tensor([n]), layers))
    assert int(conv_output_lengths(torch.tensor([shortest]), layers)) == 1
    assert int(conv_output_lengths(torch.tensor([shortest - 1]), layers)) == 0


def test_feature_encoder_norms_are_named_for_what_they_are():
    group = FeatureEncoder(WAVE_LAYERS, "group_norm", bias=False)
    assert isinstance(group.conv_layers[0].group_norm, torch.nn.GroupNorm)
    assert not any(hasattr(block, "group_norm") for block in group.conv_layers[1:])
    layer = FeatureEncoder(WAVE_LAYERS, "layer_norm", bias=True)
    assert all(isinstance(block.layer_norm, torch.nn.LayerNorm) for block in layer.conv_layers)
