"""``python -m rnn_companion.bench``: the benchmark's command line."""

import sys

from .cli import main

sys.exit(main(prog="python -m rnn_companion.bench"))
