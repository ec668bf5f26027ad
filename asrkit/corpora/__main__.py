"""python -m asrkit.corpora: the same as asrkit-prepare."""

from asrkit.corpora.cli import main

raise SystemExit(main())
