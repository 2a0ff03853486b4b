"""``python -m services.ui_gateway``: serve the UI and JSON API with uvicorn."""

import uvicorn

from runtime.logs import setup_logging
from services.ui_gateway.app import create_app
from services.ui_gateway.settings import Settings


def main() -> None:
    settings = Settings()
    setup_logging("ui_gateway", settings.log_level)
    uvicorn.run(create_app(settings), host=settings.gateway_host, port=settings.gateway_port,
                log_config=None, timeout_graceful_shutdown=5)


main()
