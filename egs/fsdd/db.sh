# Where the corpora are. Override in the environment, e.g. FSDD=/data/fsdd ./run.sh
# FSDD: the folder holding recordings/ (the GitHub repository); local/data.sh downloads it
# into downloads/ when it is missing.
FSDD=${FSDD:-downloads/free-spoken-digit-dataset-master}
