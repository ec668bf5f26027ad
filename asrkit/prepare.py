"""Stage 1: a corpus in its original layout -> Kaldi data dirs (``asrkit-prepare``).

    asrkit-prepare <corpus> <corpus_root> <out_dir> [options]

The stage's entry point, so that ``asrkit-prepare`` is ``python -m asrkit.prepare`` as for
every stage; the corpora, their options and the command line live in :mod:`asrkit.corpora`
(:mod:`asrkit.corpora.cli`).
"""

import sys

from asrkit.corpora.cli import main

__all__ = ["main"]

if __name__ == "__main__":
    sys.exit(main())
