"""Whose address a log-in comes from, when X-Forwarded-For may be anyone's writing."""

from __future__ import annotations

from ipaddress import ip_network

from outbound.web.security import client_address

PROXIES = (ip_network("10.0.0.0/8"), ip_network("::1/128"))


def test_a_direct_client_is_its_own_address_whatever_it_writes_in_the_header() -> None:
    assert client_address("203.0.113.5", "198.51.100.1", PROXIES) == "203.0.113.5"


def test_behind_a_trusted_proxy_the_client_is_the_address_the_proxy_appended() -> None:
    assert client_address("10.1.2.3", "198.51.100.1, 203.0.113.5", PROXIES) == "203.0.113.5"


def test_a_chain_of_trusted_proxies_is_walked_back_to_the_first_untrusted_hop() -> None:
    header = "198.51.100.1, 203.0.113.5, 10.9.9.9"
    assert client_address("::1", header, PROXIES) == "203.0.113.5"


def test_a_trusted_proxy_without_the_header_is_the_address_itself() -> None:
    assert client_address("10.1.2.3", None, PROXIES) == "10.1.2.3"
    assert client_address("10.1.2.3", "10.4.4.4", PROXIES) == "10.4.4.4"
