"""Airflow plugin: the compliance reviewer's pages inside the Airflow UI.

- `/optline/reviews`: every contact batch (received and decided, counts, status, who decided),
  held batches first, a status filter, links to each report and rejects.csv.
- `/optline/expectations`: each expectation's result per batch across the newest batches.
- `/optline/batches/<id>/report`: one batch's review report (the link in every review request).
- `/optline/batches/<id>/rejects.csv`: its rejected rows (masked values).

- `/optline/conversion` (and `.csv`): the welcome (double opt-in) conversion per import.
- `/optline/history`: one number's consent timeline (the number POSTed, never in the URL), with a
  form to opt it out, or back in at the person's request, recorded as the Airflow user.

"Compliance reviews", "Expectation history", "Welcome conversion" and "Consent history" entries appear under Browse
(docs/pages.md shows each page).

Every page needs an Airflow login (Bearer token or the UI's session cookie) and the auth
manager's permission: see optline.tasks.web_auth and docs/access.md.
"""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from optline.reports.web import create_app
from optline.tasks.web_auth import AIRFLOW_AUTH


class OptlineReportsPlugin(AirflowPlugin):
    name = "optline_reports"
    fastapi_apps = [{"app": create_app(auth=AIRFLOW_AUTH), "url_prefix": "/optline",
                     "name": "Optline compliance reports"}]
    external_views = [{
        "name": "Compliance reviews",
        "href": "/optline/reviews",
        "destination": "nav",
        "category": "browse",
        "url_route": "optline-reviews",
    }, {
        "name": "Expectation history",
        "href": "/optline/expectations",
        "destination": "nav",
        "category": "browse",
        "url_route": "optline-expectations",
    }, {
        "name": "Welcome conversion",
        "href": "/optline/conversion",
        "destination": "nav",
        "category": "browse",
        "url_route": "optline-conversion",
    }, {
        "name": "Consent history",
        "href": "/optline/history",
        "destination": "nav",
        "category": "browse",
        "url_route": "optline-history",
    }]
