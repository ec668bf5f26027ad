"""asrkit: Kaldi/ESPnet-style recipes for low-resource speech recognition on wav2vec 2.0."""

__version__ = "0.1.0"
