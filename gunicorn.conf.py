"""gunicorn settings for surveyapp behind a reverse proxy (see docs/deploy.md).

Every value can be changed with an environment variable (GUNICORN_*) or on the
command line: ``gunicorn -c gunicorn.conf.py "surveyapp:create_app()"``.
"""

import importlib
import multiprocessing
import os
import pkgutil

# The proxy connects here; never expose this port to the internet directly.
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", str(min(2 * multiprocessing.cpu_count() + 1, 9))))
# gthread workers keep a connection alive between requests (no TCP set-up and no wait
# for the client's close per request, as a sync worker has). One thread each by default:
# the work is CPU-bound Python, so threads of one process only take turns on its GIL, and
# respondents' writes queue on a gate rather than on the database (db.write_gate). On two
# cores, one thread per worker gave the most submissions per second and the lowest p99
# on both databases (docs/benchmarks.md). Raise GUNICORN_THREADS when the database is
# across a network and requests spend their time waiting for it; each thread holds one
# connection of its process's pool (5 kept open): keep threads <= 5.
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
worker_class = "gthread"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then so a slow leak never grows without bound; not too often,
# since a new worker spends its first requests filling its caches (compiled SQL,
# templates, surveys, translations): at 2,000, a busy worker was replaced every few
# seconds.
max_requests = 20000
max_requests_jitter = 2000
# Request line and header limits below the proxy's, so oversized requests fail early.
limit_request_line = 8190
limit_request_fields = 100
# No access log: it would record respondents' addresses and personal links
# (/s/<token>). The application logs one line per request with the route pattern
# instead (surveyapp/logging.py); errors still go to stderr.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# Only the proxy on this host may set X-Forwarded-*; ProxyFix (PROXY_FIX_X_*) reads them.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
# Each worker builds its own application, so no database connection crosses a fork.
preload_app = False


def on_starting(_server: object) -> None:
    """Import surveyapp's code (not the application) in the master, once.

    Workers fork with it loaded, so each one, and each one ``max_requests``
    recycles, builds its app in ~30 ms of CPU instead of ~900 ms. Importing
    creates no application, engine or connection (no work at import time), and
    the text analytics (nltk) stay lazy as in any worker.
    """
    import surveyapp.cli
    import surveyapp.services
    import surveyapp.web

    for package in (surveyapp.web, surveyapp.services):
        for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            importlib.import_module(module.name)
