# Where the corpora are. Override in the environment, e.g. MINI_CV=/scratch/mini_cv ./run.sh
# MINI_CV: the synthesized corpus (Common Voice layout, <locale>/validated.tsv, clips/*.mp3),
# made by local/data.sh when missing.
MINI_CV=${MINI_CV:-db/mini_cv}
