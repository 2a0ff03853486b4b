from typing import Literal

from runtime.settings import CommonSettings


class Settings(CommonSettings):
    """ui_gateway settings (environment variables of the same names, any case)."""

    gateway_host: str = "127.0.0.1"
    gateway_port: int = 8000
    request_timeout_s: float = 5.0

    scpln_auth: Literal["local", "proxy", "off"] = "local"
    """local: accounts and tokens of this system; proxy: a trusted single sign-on proxy's
    headers (and tokens); off: no sign-in, for one person on loopback only."""
    scpln_session_secret: str = ""
    """Signs session cookies; empty: a secret generated once into the data directory."""
    scpln_session_idle_minutes: float = 120
    scpln_session_max_hours: float = 12
    scpln_trusted_proxies: str = ""
    """Comma-separated addresses or networks whose identity headers are believed (proxy mode)."""
    scpln_proxy_user_header: str = "X-Forwarded-User"
    scpln_proxy_email_header: str = "X-Forwarded-Email"
    scpln_proxy_groups_header: str = "X-Forwarded-Groups"
    scpln_role_map: str = ""
    """Proxy groups to roles: ``group=role,group=role``; the highest role of the user's groups wins."""
    scpln_proxy_default_role: str = "viewer"
    """Role of a proxied user none of whose groups is mapped ("" refuses such users)."""
    scpln_allow_self_approval: bool = False
    """1: an approver may approve or reject a plan they submitted (plan_service decides; pages follow)."""
