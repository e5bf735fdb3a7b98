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
# Threaded workers: a connection is kept alive between requests (no TCP set-up and no
# wait for the client's close per request), and while one request waits for the
# database (a PostgreSQL round trip, SQLite's write lock) the others run. Each thread
# holds one database connection from its process's pool (5 kept open): keep threads <= 5.
# GUNICORN_THREADS=1 gives the classic sync worker.
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
worker_class = "gthread" if threads > 1 else "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then so a slow leak never grows without bound.
max_requests = 2000
max_requests_jitter = 200
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
