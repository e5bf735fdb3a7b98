"""Run every benchmark: ``python -m benchmarks [--help]``."""

from __future__ import annotations

import sys

from benchmarks import results_page

if __name__ == "__main__":
    sys.exit(results_page.main(sys.argv[1:]))
