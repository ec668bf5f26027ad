"""Stage 1: one module per corpus turns its original layout into Kaldi data dirs.

Each corpus module has ``download(target)`` (a real download where the corpus is free to
fetch, otherwise a message with the URL and the expected layout) and
``prepare(corpus_root, out_dir, **options) -> PrepareResult``, which writes
``out_dir/<set>`` data dirs, each with an ``excluded.txt`` report, and returns one
:class:`~asrkit.corpora.common.SetSummary` per set (utterances, speakers, hours,
excluded/filtered counts by reason). ``asrkit-prepare <corpus> ...``
(:mod:`asrkit.corpora.cli`) is a thin loop over them; each module owns its options, as
lhotse keeps a corpus's CLI beside its recipe.

To add a corpus, write ``asrkit/corpora/<name>.py`` with

- a docstring whose first line says what the corpus is (the ``asrkit-prepare --help`` line)
  and whose body gives the layout (``asrkit-prepare <name> --help`` shows it);
- ``download(target, **options)`` and ``prepare(corpus_root, out_dir, **options)``, built
  from :mod:`asrkit.corpora.common` (manifest rows, item checks, ``SetBuilder``);
- ``add_arguments(parser)``: its ``asrkit-prepare`` options, ``--kebab-case`` of the keyword
  they set; the shared ones come from ``common`` (``add_text_arguments``,
  ``add_check_arguments``, ``add_durations_argument``, ...);
- ``prepare_options(args)`` and ``download_options(args)``: the parsed options as the
  keywords of ``prepare()`` and ``download()`` (``common.text_options`` and
  ``common.check_options`` for the shared ones, ``common.no_options`` for none);

and add its name to :data:`CORPORA`.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from asrkit.corpora.common import CorpusError, PrepareResult, SetSummary

#: corpus name (as the CLI takes it) -> module under asrkit.corpora
CORPORA = {
    "commonvoice": "commonvoice",
    "librispeech": "librispeech",
    "covost2": "covost2",
    "fsdd": "fsdd",
    "yesno": "yesno",
    "an4": "an4",
    "generic": "generic",
    "synth": "synth",
}


def corpus_module(name: str) -> ModuleType:
    """The preparer module of corpus ``name``."""
    if name not in CORPORA:
        raise CorpusError(f"unknown corpus {name!r}; choose from {', '.join(CORPORA)}")
    return importlib.import_module(f"asrkit.corpora.{CORPORA[name]}")


__all__ = ["CORPORA", "CorpusError", "PrepareResult", "SetSummary", "corpus_module"]
