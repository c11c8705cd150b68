"""``python -m videoclient.cli``: the same as the ``videoclient`` command."""

import sys

from . import main

sys.exit(main())
