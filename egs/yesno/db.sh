# Where the corpora are. Override in the environment, e.g. YESNO=/data/waves_yesno ./run.sh
# YESNO: the waves_yesno/ folder; local/data.sh downloads it into downloads/ when missing.
YESNO=${YESNO:-downloads/waves_yesno}
