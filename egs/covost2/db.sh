# Where the corpora are. Override in the environment, e.g. COVOST2=/data/cv4 ./run.sh
# COVOST2: the Common Voice 4 release (cv-corpus-4-2019-12-10) with one folder per source
# language (<src>/validated.tsv, <src>/clips/*.mp3).
# COVOST2_TSV: the folder of the CoVoST 2 translation files covost_v2.<src>_en.tsv.
COVOST2=${COVOST2:-downloads/cv-corpus-4-2019-12-10}
COVOST2_TSV=${COVOST2_TSV:-downloads/covost2}
