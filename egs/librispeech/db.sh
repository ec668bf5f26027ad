# Where the corpora are. Override in the environment, e.g. LIBRISPEECH=/data/openslr ./run.sh
# LIBRISPEECH: the folder holding LibriSpeech/ (as the OpenSLR tarballs unpack); local/data.sh
# downloads the subsets it needs there when they are missing.
LIBRISPEECH=${LIBRISPEECH:-downloads}
