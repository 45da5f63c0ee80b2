"""`hotline bench intake` posts what a browser posts for the report form: the same controls, as multipart."""

from __future__ import annotations

import re

from starlette.testclient import TestClient

from hotline.bench.intake import report_form


class _Page:
    """The bench reads the report page through an http.client connection; here the app answers it."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.text = ""

    def request(self, method: str, path: str) -> None:
        self.text = self.client.request(method, path).text

    def getresponse(self) -> _Page:
        return self

    def read(self) -> bytes:
        return self.text.encode()


def test_the_bench_posts_every_control_of_the_report_form_as_a_browser_does(client: TestClient) -> None:
    page = _Page(client)
    body, headers = report_form(page, "raytown")  # type: ignore[arg-type]
    # Every control the page has with a name, but for radio buttons and check boxes the page leaves unchecked.
    controls = set()
    for tag in re.findall(r"<(?:input|textarea|select)\b[^>]*>", page.text):
        name = re.search(r'\bname="([^"]+)"', tag)
        unchecked = re.search(r'type="(?:radio|checkbox)"', tag) and " checked" not in tag
        if name and not unchecked:
            controls.add(name.group(1))
    posted = set(re.findall(r'Content-Disposition: form-data; name="([^"]+)"', body))
    assert posted == controls
    assert headers["Content-Type"].startswith("multipart/form-data; boundary=")
    answer = client.post("/report/raytown", content=body.encode(), headers=headers)
    assert answer.status_code == 200 and 'id="report-key"' in answer.text
