"""Each staff role's menu lists only pages that open for it: every link answers 200."""

from __future__ import annotations

import re

import pytest

from tests.e2e.test_web_collections import client, sign_in, staff
from thinfile.security.roles import Role

__all__ = ["client"]  # the fixture, on both databases

START = {Role.COLLECTOR: "/console/collections"}


def menu_links(page: str) -> list[str]:
    nav = re.search(r'<nav aria-label="[^"]*">(.*?)</nav>', page, re.S)
    assert nav, page[:500]
    return re.findall(r'<a href="([^"]+)">', nav.group(1))


@pytest.mark.parametrize(
    "role", [Role.UNDERWRITER, Role.SERVICING_AGENT, Role.ADMIN, Role.COLLECTOR]
)
def test_every_link_of_a_staff_roles_menu_opens_for_it(client, role: Role) -> None:
    staff(client, "someone", role)
    sign_in(client, "someone")
    start = client.get(START.get(role, "/console"))
    assert start.status_code == 200
    links = menu_links(start.text)
    assert links
    for link in links:
        assert client.get(link).status_code == 200, (role, link)
    assert ("/console/collections" in links) is (role is not Role.UNDERWRITER)
    assert ("/console/loans" in links) is (role is not Role.COLLECTOR)
