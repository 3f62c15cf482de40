"""Settings of the pre sign-up check's process: only the allowed domains (IMGREC_SIGN_UP_ALLOWED_DOMAINS)."""

from __future__ import annotations

from functools import cache

from pydantic import BaseModel, ConfigDict

from api.logic.sign_up import DomainRule
from imagejobs.settings import load_settings


class SignUpSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    # Comma-separated; empty = anyone (the template then leaves the trigger unattached anyway).
    sign_up_allowed_domains: str = ""


@cache
def get_domain_rule() -> DomainRule:
    return DomainRule.parse(load_settings(SignUpSettings).sign_up_allowed_domains)
