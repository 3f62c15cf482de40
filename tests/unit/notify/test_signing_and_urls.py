"""Standard Webhooks signatures (checked against the scheme's reference library) and the URL and address
policy that keeps webhooks off private networks."""

from __future__ import annotations

import ipaddress
import time

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from imagejobs.callback_urls import UrlPolicy, UrlRefusedError, check_address, check_addresses, target_of
from imagejobs.signing import new_secret, signed_headers

DEPLOYED, LOCAL = UrlPolicy(allow_loopback=False), UrlPolicy(allow_loopback=True)


def test_signatures_verify_with_the_reference_library_and_fail_when_anything_changes():
    secret, body, stamp = new_secret(), b'{"id":"evt-1"}', int(time.time())
    headers = signed_headers([secret], "evt-1", stamp, body)
    verifier = Webhook(secret)
    assert verifier.verify(body, headers) == {"id": "evt-1"}
    for changed in ({**headers, "webhook-id": "evt-2"}, {**headers, "webhook-timestamp": str(stamp + 1)}):
        with pytest.raises(WebhookVerificationError):
            verifier.verify(body, changed)
    with pytest.raises(WebhookVerificationError):
        verifier.verify(b'{"id":"evt-2"}', headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(body, headers)


def test_during_a_rotation_each_secret_alone_verifies():
    old, new, body = new_secret(), new_secret(), b"{}"
    headers = signed_headers([new, old], "evt-9", int(time.time()), body)
    assert len(headers["webhook-signature"].split(" ")) == 2
    for secret in (old, new):
        verifier = Webhook(secret)
        assert verifier.verify(body, headers) == {}


def test_secrets_are_whsec_and_random():
    first, second = new_secret(), new_secret()
    assert first.startswith("whsec_") and first != second and len(first) == 6 + 44


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://hooks.example.com/x", "https"),
        ("https://user:pw@hooks.example.com/x", "user name"),
        ("https://hooks.example.com/x#frag", "fragment"),
        ("https://localhost/x", "loopback"),
        ("https://127.0.0.1/x", "loopback"),
        ("https://10.1.2.3/x", "not a public"),
        ("https://[fd00::1]/x", "not a public"),
        ("https://169.254.169.254/latest", "not a public"),
        ("ftp://hooks.example.com/x", "http(s)"),
    ],
)
def test_deployed_the_api_refuses_urls_it_would_never_call(url: str, why: str) -> None:
    with pytest.raises(UrlRefusedError, match=why.replace("(", r"\(").replace(")", r"\)")):
        target_of(url, DEPLOYED)


def test_locally_http_and_loopback_are_allowed_but_other_private_ranges_are_not():
    target = target_of("http://127.0.0.1:8123/hook?x=1", LOCAL)
    assert (target.scheme, target.host, target.port, target.path) == ("http", "127.0.0.1", 8123, "/hook?x=1")
    assert target.host_header == "127.0.0.1:8123"
    with pytest.raises(UrlRefusedError):
        target_of("http://192.168.1.5/hook", LOCAL)


@pytest.mark.parametrize(
    "address",
    [
        "10.0.0.1",
        "172.16.0.1",
        "192.168.0.1",
        "100.64.0.1",
        "169.254.169.254",
        "0.0.0.0",
        "224.0.0.1",
        "::1",
        "fe80::1",
        "fc00::1",
        "::ffff:10.0.0.1",
        "64:ff9b::a00:1",
        "2002:a00:1::1",
    ],
)
def test_private_link_local_shared_and_mapped_addresses_are_refused_deployed(address: str) -> None:
    with pytest.raises(UrlRefusedError):
        check_address(ipaddress.ip_address(address), DEPLOYED)


def test_one_private_address_among_public_ones_refuses_the_name():
    assert check_addresses(["93.184.216.34", "2606:2800:220:1::1"], DEPLOYED)
    with pytest.raises(UrlRefusedError):
        check_addresses(["93.184.216.34", "10.0.0.1"], DEPLOYED)
    with pytest.raises(UrlRefusedError):
        check_addresses([], DEPLOYED)
