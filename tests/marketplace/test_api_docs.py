"""The API's reference for people: Swagger UI from the installed package, nothing from a CDN."""

import re

from django.contrib.staticfiles import finders


def test_the_footer_leads_to_the_api_reference_which_loads_only_local_assets(client, db):
    home = client.get("/")
    assert 'href="/api/v1/docs/"' in home.text
    page = client.get("/api/v1/docs/")
    assert page.status_code == 200 and "swagger" in page.text.lower()
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources and all(s.startswith("/") for s in sources), sources
    assert "<script>" not in page.text.replace(" ", "")  # no inline script: the policy allows files only
    script = next(s for s in sources if "script" in s and "/api/v1/docs/" in s)
    init = client.get(script)
    assert init.status_code == 200 and "/api/v1/schema/" in init.content.decode()
    for asset in (s for s in sources if s.startswith("/static/")):
        assert finders.find(asset.removeprefix("/static/")), f"{asset} is not in any installed package"
