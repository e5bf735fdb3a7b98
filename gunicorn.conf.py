"""gunicorn settings for surveyapp behind a reverse proxy (see docs/deploy.md).

Every value can be changed with an environment variable (GUNICORN_*) or on the
command line: ``gunicorn -c gunicorn.conf.py "surveyapp:create_app()"``.
"""

import multiprocessing
import os

# The proxy connects here; never expose this port to the internet directly.
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Sync workers: each request holds one database connection for its duration.
workers = int(os.environ.get("GUNICORN_WORKERS", str(min(2 * multiprocessing.cpu_count() + 1, 9))))
worker_class = "sync"
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
