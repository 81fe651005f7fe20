import sys

from campsync.cli import main

sys.exit(main())
