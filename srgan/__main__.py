import sys

from srgan.cli import main

sys.exit(main())
