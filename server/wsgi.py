"""WSGI entry for gunicorn: `gunicorn -c server/gunicorn.conf.py server.wsgi:app`.

Each worker builds its own app and loads the models once, synchronously, so a worker only takes traffic
when it is warm.
"""
from common.config import load_config
from server.app import create_app
from server.logs import configure_logging

_config = load_config()
configure_logging(_config.server.log_level)
app = create_app(_config, load="sync")
