# Where the corpora are. Override in the environment, e.g. AN4=/data/an4 ./run.sh
# AN4: the folder holding etc/ and wav/ (Sphinx layout, WAV or NIST SPHERE); local/data.sh
# downloads CMU's an4_sphere.tar.gz into downloads/ when it is missing.
AN4=${AN4:-downloads/an4}
