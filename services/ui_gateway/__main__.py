"""``python -m services.ui_gateway``: serve the UI and JSON API with uvicorn."""

import logging
import sys

import uvicorn

from runtime.lifecycle import freeze_start_up
from runtime.logs import setup_logging
from services.ui_gateway.app import create_app
from services.ui_gateway.auth.state import UnsafeSettings
from services.ui_gateway.limits import SERVER_OPTIONS
from services.ui_gateway.settings import Settings


def main() -> int:
    settings = Settings()
    setup_logging("ui_gateway", settings.log_level)
    try:
        app = create_app(settings)
    except UnsafeSettings as exc:
        logging.getLogger("ui_gateway").error("refusing to start: %s", exc)
        return 2
    freeze_start_up()
    # proxy_headers off: the client's address is the connection's peer, which is what
    # SCPLN_TRUSTED_PROXIES is checked against (a forwarded address could be anyone's claim).
    uvicorn.run(app, host=settings.gateway_host, port=settings.gateway_port, log_config=None,
                timeout_graceful_shutdown=5, proxy_headers=False, **SERVER_OPTIONS)
    return 0


sys.exit(main())
