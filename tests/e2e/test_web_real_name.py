"""The real-name page (SQLite): a name and ID number the identity provider refused are not
sent to it again, and the page says what to do instead, in the reader's language."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.api_harness import TestClient
from tests.e2e.test_web_pages import PASSWORD, build_app, id_number, post, seed
from thinfile.adapters import SandboxRealNameVerifier
from thinfile.services.ports import RealNameAnswer


class CountingVerifier(SandboxRealNameVerifier):
    """The sandbox identity provider, counting its look-ups."""

    def __init__(self) -> None:
        self.calls = 0

    def verify(self, name: str, id_number: str) -> RealNameAnswer:
        self.calls += 1
        return super().verify(name, id_number)


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    app = build_app(tmp_path)
    with TestClient(app, base_url="http://127.0.0.1") as test_client:
        seed(app, tmp_path)
        yield test_client


def test_a_refused_real_name_is_not_checked_again_and_the_page_says_what_to_do(
    client: TestClient,
) -> None:
    verifier = CountingVerifier()
    app = client.app
    app.state.context = dataclasses.replace(app.state.context, real_name=verifier)  # type: ignore[attr-defined]
    assert post(client, "/sign-up", {"email": "rn@example.com", "password": PASSWORD}).is_redirect
    assert post(client, "/sign-in", {"email": "rn@example.com", "password": PASSWORD}).is_redirect
    profile = {"name": "王不符", "id_number": id_number(801), "phone": "13912340801"}
    assert post(client, "/profile", profile, form_page="/profile").status_code == 303
    tries = [post(client, "/real-name", {}, form_page="/real-name") for _ in range(3)]
    assert [t.status_code for t in tries] == [422, 422, 422]
    assert verifier.calls == 1
    for page in tries:
        assert "姓名与身份证号码不一致" in page.text
        assert 'id="real-name-remedy"' in page.text and "请联系我们更正您的资料" in page.text
