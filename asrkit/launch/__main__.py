import sys

from asrkit.launch.cli import main

sys.exit(main())
