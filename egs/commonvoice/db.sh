# Where the corpora are. Override in the environment, e.g. COMMONVOICE=/data/cv-corpus-17.0 ./run.sh
# COMMONVOICE: an unpacked Common Voice release folder, holding one folder per locale
# (<locale>/validated.tsv, train.tsv, dev.tsv, test.tsv, other.tsv, clips/*.mp3).
COMMONVOICE=${COMMONVOICE:-downloads/cv-corpus}
