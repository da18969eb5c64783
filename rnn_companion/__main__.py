"""``python -m rnn_companion``: the command line of :mod:`rnn_companion.cli`."""

import sys

from .cli import main

sys.exit(main())
