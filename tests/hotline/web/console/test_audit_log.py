"""The audit log page: filters chosen from labels and names, a day that is not one refused with a message in the
page's language (never a 500), and links to older entries that keep the filters."""

from __future__ import annotations

import re

from intake.accounts.reviewers import add_reviewer
from intake.cities import find_city, open_city_key_with_recovery_key
from tests.hotline.conftest import PASSWORD, enrol, sign_in, submit_report


def test_the_audit_log_filters_by_label_person_and_day(client, seeded):
    key = open_city_key_with_recovery_key(find_city(seeded.database, "raytown"), seeded.recovery_keys["raytown"])
    add_reviewer(seeded.database, seeded.settings.intake_config(), city_slug="raytown",
                 email="auditor@raytown.example", display_name="Aud Auditor", password=PASSWORD, role="auditor",
                 city_private_key=key)
    enrol(seeded.database, seeded.settings, "auditor@raytown.example")
    for number in range(3):
        submit_report(client, "raytown", f"Marker-audit-{number}")
    assert sign_in(client, "auditor@raytown.example").status_code == 200

    page = client.get("/review/audit").text
    assert '<option value="case.submitted">Report received</option>' in page
    assert re.search(r'<option value="reviewer:\d+">Aud Auditor</option>', page)
    assert '<option value="reporter">Reporter</option>' in page

    only = client.get("/review/audit?action=case.submitted&person=reporter").text
    assert only.count("<tr>") == 1 + 3  # the header and three reports
    assert "Report received" in only and "Sent to a group" not in only.split("<tbody>")[1]

    bad = client.get("/review/audit?since=2026-02-30&lang=es")
    assert bad.status_code == 400 and "Escriba el día como año-mes-día" in bad.text
    backwards = client.get("/review/audit?since=2026-12-07&until=2026-12-06")
    assert backwards.status_code == 400 and "The last day comes before the first day." in backwards.text
    far = client.get("/review/audit?since=2000-01-01&until=2000-01-02")
    assert far.status_code == 200 and "No entry matches these filters." in far.text
