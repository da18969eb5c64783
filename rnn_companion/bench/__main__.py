"""``python -m rnn_companion.bench``."""

import sys

from .core import main

sys.exit(main())
