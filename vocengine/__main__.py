import sys

from vocengine.cli import main

sys.exit(main())
