"""Single sign-on behind an authenticating reverse proxy (oauth2-proxy and the like).

The proxy's headers are believed only from the addresses in ``SCPLN_TRUSTED_PROXIES``; from
anyone else they are ignored. Groups map to roles through ``SCPLN_ROLE_MAP``; the original
scpln's ``X-Role`` header is honoured here too, and only here.
"""

import ipaddress
from dataclasses import dataclass

from contracts.identity import ROLES, Role
from runtime.identity import role_named
from services.ui_gateway.settings import Settings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class ProxyTrust:
    networks: tuple[Network, ...]
    user_header: str
    email_header: str
    groups_header: str
    role_map: dict[str, Role]
    default_role: Role | None

    @classmethod
    def from_settings(cls, settings: Settings) -> "ProxyTrust":
        networks = tuple(ipaddress.ip_network(part.strip(), strict=False)
                         for part in settings.scpln_trusted_proxies.split(",") if part.strip())
        role_map: dict[str, Role] = {}
        for pair in settings.scpln_role_map.split(","):
            if pair.strip():
                group, _, role = pair.partition("=")
                role_map[group.strip()] = role_named(role)
        default = settings.scpln_proxy_default_role.strip()
        return cls(networks, settings.scpln_proxy_user_header.lower(), settings.scpln_proxy_email_header.lower(),
                   settings.scpln_proxy_groups_header.lower(), role_map, role_named(default) if default else None)

    def trusts(self, address: str | None) -> bool:
        if not address:
            return False
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self.networks)

    def identity(self, headers: dict[str, str]) -> tuple[str, Role] | None:
        """(user, role) from a trusted proxy's headers; None when it names no user or the
        user's groups grant no role."""
        user = headers.get(self.user_header, "").strip() or headers.get(self.email_header, "").strip()
        if not user:
            return None
        roles = [self.role_map[g.strip()] for g in headers.get(self.groups_header, "").split(",")
                 if g.strip() in self.role_map]
        if legacy := headers.get("x-role", "").strip():
            try:
                roles.append(role_named(legacy))
            except ValueError:
                pass
        if roles:
            return user, max(roles, key=ROLES.index)
        return (user, self.default_role) if self.default_role else None
