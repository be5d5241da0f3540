import sys

from treesvsnets.cli import main

sys.exit(main())
