"""``python -m srgan.cli``: the same as ``python -m srgan``."""

import sys

from srgan.cli import main

sys.exit(main())
