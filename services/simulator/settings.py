from runtime.settings import CommonSettings


class Settings(CommonSettings):
    """simulator settings (environment variables of the same names, any case)."""

    scpln_skip_simulation_api: bool = False
    ack_wait_s: float = 60.0
    max_deliver: int = 5
    worker_name: str = "simulator"
