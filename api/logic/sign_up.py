"""Who may create an account by themselves: the allowed e-mail domains of the pre sign-up check (pure).

An entry `example.com` allows exactly that domain; `*.example.com` allows any sub-domain of it (not the
domain itself). The domain of an address is what follows its last "@" (where the mail is delivered), in
lower case, so `Alice+promo@EXAMPLE.com` is at example.com and `example.com@evil.net` is not. An empty rule
allows anyone. The web app applies the same rule before it sends anyone to the sign-up page
(frontend/js/sign-up.js); tests/fixtures/sign_up_cases.json holds the cases both must agree on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from imagejobs.errors import ImgrecError

# Lower-case DNS labels joined by dots, at least two labels: what the template parameter's pattern admits.
_DOMAIN = re.compile(r"[a-z0-9-]+(\.[a-z0-9-]+)+")
_WILDCARD = "*."

# Cognito's trigger sources for the pre sign-up trigger. An operator creating a user (AdminCreateUser) is
# not bound by the rule: they may add an exception deliberately.
OPERATOR_SOURCES = frozenset({"PreSignUp_AdminCreateUser"})


class InvalidDomainRuleError(ImgrecError):
    """The configured list of allowed domains is malformed (a deployment mistake, not a user's)."""


class SignUpRefusedError(ImgrecError):
    """This address may not create an account here; the message says why, for the person signing up."""


@dataclass(frozen=True)
class DomainRule:
    exact: frozenset[str]
    parents: frozenset[str]

    @classmethod
    def parse(cls, text: str) -> DomainRule:
        exact: set[str] = set()
        parents: set[str] = set()
        for raw in text.split(","):
            entry = raw.strip().lower().rstrip(".")
            if not entry:
                continue
            wildcard = entry.startswith(_WILDCARD)
            name = entry.removeprefix(_WILDCARD)
            if not _DOMAIN.fullmatch(name):
                raise InvalidDomainRuleError(f"not a domain: {raw.strip()!r}")
            (parents if wildcard else exact).add(name)
        return cls(frozenset(exact), frozenset(parents))

    @property
    def allows_anyone(self) -> bool:
        return not self.exact and not self.parents

    def allows(self, domain: str) -> bool:
        if self.allows_anyone:
            return True
        if domain in self.exact:
            return True
        return any(domain.endswith("." + parent) for parent in self.parents)

    def describe(self) -> str:
        """The allowed domains as a person reads them: "example.com or any sub-domain of example.org"."""
        parts = sorted(self.exact) + [f"any sub-domain of {parent}" for parent in sorted(self.parents)]
        if len(parts) == 1:
            return parts[0]
        return ", ".join(parts[:-1]) + " or " + parts[-1]


def email_domain(address: str) -> str:
    """The domain an address's mail goes to, normalised; SignUpRefusedError when there is none."""
    local, at, domain = address.strip().rpartition("@")
    domain = domain.lower().rstrip(".")
    if not at or not local or not domain:
        raise SignUpRefusedError(f"{address.strip() or 'An empty address'} is not an e-mail address.")
    return domain


def check_sign_up(trigger_source: str, address: str, rule: DomainRule) -> None:
    """Return if this sign-up may go on; raise SignUpRefusedError with the reason otherwise."""
    if trigger_source in OPERATOR_SOURCES or rule.allows_anyone:
        return
    domain = email_domain(address)
    if not rule.allows(domain):
        raise SignUpRefusedError(
            f"Accounts here are for e-mail addresses at {rule.describe()}; {domain} is not one of them. "
            "Ask the people who run this service to create an account for you."
        )
