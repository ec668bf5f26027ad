"""python -m asrkit.data: the same as asrkit-data."""

from asrkit.data.cli import main

raise SystemExit(main())
