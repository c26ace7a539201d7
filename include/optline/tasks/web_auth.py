"""The reports plugin's pages behind Airflow's login and permissions (`AIRFLOW_AUTH`).

Airflow mounts a plugin's FastAPI app as is and authenticates none of it, so the app checks
for itself, exactly as Airflow's own API does:

- **who**: `get_user`, the REST API's dependency: an `Authorization: Bearer <jwt>` header,
  else the UI's `_token` cookie (so the pages open inside the UI and from a review request's
  link). No token: 401 (a browser is sent to the login and back); an expired token: 401; a
  forged or revoked one: 403.
- **may they**: the auth manager decides, per group of pages:
  - review reports, rejects, the reviews index, the expectation history: may read batch_review's Required Actions
    (`DagAccessEntity.HITL_DETAIL`, GET): what a reviewer reads before answering. Not
    `AccessView.PLUGINS`: under FAB, the Viewer and User roles lack "Plugins", so reviewers
    would be refused their own reports.
  - the welcome conversion: may read message_dispatch's runs (`DagAccessEntity.RUN`, GET).
  - a number's consent history: as the review reports; changing its consent by hand: may
    answer batch_review's Required Actions (`HITL_DETAIL`, PUT), and be listed under
    `consent: airflow_users` when any is (`optline.access`). The change is recorded as
    `page_user`: the Airflow user's name and id.

Airflow is imported inside the functions, at request time: every task process imports the
plugin (for its macros), and the security module costs seconds there.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from optline.reports.web import PageAuth, PageUser

_bearer = HTTPBearer(auto_error=False)

REVIEW_DAG = "batch_review"
CONVERSION_DAG = "message_dispatch"


async def airflow_user(request: Request,
                       bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> Any:
    """The caller as Airflow's REST API sees it (Bearer first, else the `_token` cookie)."""
    from airflow.api_fastapi.core_api.security import get_user

    return await get_user(request, None, bearer)


def may_read_dag(dag_id: str, entity: str | None, method: str = "GET") -> Any:
    """A dependency: 403 unless the auth manager lets the caller `method` (GET) this DAG's `entity`."""
    def check(request: Request, user: Annotated[Any, Depends(airflow_user)]) -> None:  # sync: reads the DB
        from airflow.api_fastapi.auth.managers.models.resource_details import DagAccessEntity
        from airflow.api_fastapi.core_api.security import requires_access_dag

        requires_access_dag(method, DagAccessEntity[entity] if entity else None, param_dag_id=dag_id)(request, user)

    check.__name__ = f"may_{method.lower()}_{dag_id}_{(entity or 'dag').lower()}"
    return check


def page_user(user: Annotated[Any, Depends(airflow_user)]) -> PageUser:
    """Who records a change of consent on the pages: the Airflow user's name and id, as Airflow knows them."""
    return PageUser(name=str(user.get_name()), id=str(user.get_id()))


def login_url(request: Request) -> str:
    """Airflow's login (whichever auth manager), then back to this page."""
    from airflow.api_fastapi.app import API_ROOT_PATH

    return f"{API_ROOT_PATH.rstrip('/')}/api/v2/auth/login?{urlencode({'next': str(request.url)})}"


may_read_reviews = may_read_dag(REVIEW_DAG, "HITL_DETAIL")
may_read_conversion = may_read_dag(CONVERSION_DAG, "RUN")
may_change_consent = may_read_dag(REVIEW_DAG, "HITL_DETAIL", "PUT")  # who may answer batch_review's questions

AIRFLOW_AUTH = PageAuth(authenticate=airflow_user, may_read_reviews=may_read_reviews,
                        may_read_conversion=may_read_conversion, login_url=login_url,
                        may_read_history=may_read_reviews, may_change_consent=may_change_consent, caller=page_user)
