"""``python -m videoclient.emulator [flags]``: run the emulator (see ``--help``)."""

import sys

from ._cli import main

sys.exit(main(prog="python -m videoclient.emulator"))
