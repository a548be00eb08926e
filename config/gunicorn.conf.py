"""gunicorn settings (placeholder; see the production guide)."""

worker_class = "gthread"
workers = 2
threads = 4
timeout = 30
