"""gunicorn's configuration of the portal (``gunicorn -c python:portal.gunicorn portal.wsgi``),
read from the environment like the settings. See docs/deploy.md."""

import os

bind = os.environ.get("GUNICORN_BIND", f"127.0.0.1:{os.environ.get('PORT', '8000')}")
# One process per core; each keeps its search dictionaries and print stack (portal.startup) and
# forks its own PDF render worker (printing.render.RenderWorker).
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# Threads: a request waiting on a PDF render or the database does not hold up the process.
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# Above PRINTING_RENDER_TIMEOUT (30 s), which stops an overrunning sheet first.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
# X-Forwarded-Proto is believed from these addresses only: the reverse proxy on this machine.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = "-"
proc_name = "yichuang-portal"
# gunicorn's control socket sits at one path per user (~/.gunicorn/gunicorn.ctl), which a second
# server on the machine would take over; the portal is controlled with signals (systemd).
control_socket_disable = True
