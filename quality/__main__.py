import sys

from quality.runner import cli_main

sys.exit(cli_main())
