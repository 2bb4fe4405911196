"""The API reference page works offline: every asset it needs is served by thinfile."""

import re

from tests.e2e.api_harness import TestClient
from thinfile.app import create_app
from thinfile.settings import Settings


def test_docs_page_loads_swagger_ui_from_the_app_not_a_cdn(tmp_path):
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'd.sqlite'}"))
    with TestClient(app) as client:
        page = client.get("/docs")
        assert page.status_code == 200
        sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
        assert sources and all(s.startswith("/") for s in sources), sources
        for source in sources:
            assert client.get(source).status_code == 200, source
        assert "cdn" not in page.text.lower()
