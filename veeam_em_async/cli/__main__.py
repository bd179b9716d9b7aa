"""``python -m veeam_em_async.cli``: the same as ``veeam-em``."""

import sys

from . import main

sys.exit(main())
