from runtime.settings import CommonSettings


class Settings(CommonSettings):
    """ui_gateway settings (environment variables of the same names, any case)."""

    gateway_host: str = "127.0.0.1"
    gateway_port: int = 8000
    request_timeout_s: float = 5.0
