"""Run every benchmark: ``python -m benchmarks``.

Each benchmark also runs alone, with options: ``python -m benchmarks.results_page --help``,
``python -m benchmarks.bench_distribution --help``, ``python -m benchmarks.analytics --help``,
``python -m benchmarks.load --help``.
"""

from __future__ import annotations

import sys

from benchmarks import analytics, bench_distribution, load, results_page

if __name__ == "__main__":
    status = results_page.main(sys.argv[1:])
    status |= bench_distribution.main([])
    status |= analytics.main([])
    status |= load.main([])
    sys.exit(status)
