"""Running the desk: uvicorn on the configured database, refusing an unsafe bind."""

from __future__ import annotations

import logging

import uvicorn

from config import Config
from stages.common import database, engine_of
from store.db import refresh_statistics
from web.app import create_app
from web.security import session_secret

log = logging.getLogger(__name__)


def serve(config: Config, host: str, port: int) -> None:
    """Serve the desk on ``host:port`` until interrupted (Ctrl-C or SIGTERM).

    ConfigError before anything listens when ``host`` is not loopback and
    LUREWATCH_SECRET_KEY is unset or too short.
    """
    secret = session_secret(host, config.web.secret_key)
    if not config.web.secret_key:
        log.warning("LUREWATCH_SECRET_KEY is not set: logins last until this server stops")
    with database(config) as factory:
        refresh_statistics(engine_of(factory))
        app = create_app(config, factory, secret)
        log.info(
            "review desk on http://%s:%d/ (database %s)",
            host,
            port,
            factory.kw["bind"].url.render_as_string(hide_password=True),
        )
        uvicorn.run(
            app,
            host=host,
            port=port,
            proxy_headers=False,  # web.app trusts X-Forwarded-* from web.trusted_proxies only
            server_header=False,
            # Our logging (pipeline.py: -v, -q, the level) carries uvicorn's messages and access log.
            log_config=None,
            timeout_graceful_shutdown=10,
        )
