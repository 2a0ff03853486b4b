from pydantic import Field, field_validator

from contracts.notifications import DEFAULT_WEBHOOK_EVENTS, RECEIVERS_MAX, WEBHOOK_EVENTS
from runtime.settings import CommonSettings


class Settings(CommonSettings):
    """notifier settings (environment variables, any case); the original scpln's names where it had them."""

    notify_webhook_urls: str = Field(default="", description="Receivers, comma-separated (at most 8).")
    notify_webhook_secret: str = Field(default="", description="HMAC-SHA256 key of X-Scpln-Signature.")
    notify_events: str = Field(default=",".join(DEFAULT_WEBHOOK_EVENTS), description="Webhook events sent.")
    notify_timeout_s: float = Field(default=10.0, gt=0, description="How long one POST may take.")
    notify_retry_base_s: float = Field(default=5.0, gt=0, description="Wait before the first retry; doubled each time.")
    notify_retry_max_delay_s: float = Field(default=1800.0, gt=0, description="Longest wait between two attempts.")
    notify_give_up_after_s: float = Field(default=86400.0, gt=0, description=(
        "How long, in waits between attempts, an event is retried before it is given up (the next one goes out)."))

    @field_validator("notify_events")
    @classmethod
    def _known_events(cls, value: str) -> str:
        unknown = [name for name in _names(value) if name not in WEBHOOK_EVENTS]
        if unknown:
            raise ValueError(f"unknown webhook events {unknown}; known: {sorted(WEBHOOK_EVENTS)}")
        return value

    @field_validator("notify_webhook_urls")
    @classmethod
    def _receivers(cls, value: str) -> str:
        urls = _names(value)
        if len(urls) > RECEIVERS_MAX:
            raise ValueError(f"at most {RECEIVERS_MAX} webhook receivers")
        bad = [url for url in urls if not url.startswith(("http://", "https://"))]
        if bad:
            raise ValueError(f"webhook receivers are http(s) URLs, not {bad}")
        return value

    @property
    def receivers(self) -> list[str]:
        return _names(self.notify_webhook_urls)

    @property
    def events(self) -> list[str]:
        return _names(self.notify_events)


def _names(value: str) -> list[str]:
    return list(dict.fromkeys(part.strip() for part in value.split(",") if part.strip()))
