"""The alert link in notifications (``<public_url>/alerts/<id>``): open the page that shows it.

A family member lands in the family view, staff in the console; somebody not logged in logs in
first and comes back here. The redirect itself shows nothing, so it needs no scope check: the
page it leads to asks the scoped API.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, status
from fastapi.responses import RedirectResponse

from cloud.api.deps import SESSION_COOKIE, AccountsDep
from cloud.auth import Role

router = APIRouter(tags=["pages"])


@router.get("/alerts/{alert_id}", include_in_schema=False)
def open_alert(alert_id: int, request: Request, accounts: AccountsDep) -> RedirectResponse:
    """Send whoever opens an alert link to the page that shows that alert to them."""
    cookie = request.cookies.get(SESSION_COOKIE)
    principal = accounts.resolve_session(cookie) if cookie else None
    if principal is None:
        return RedirectResponse(f"/web/login.html?next=/alerts/{alert_id}", status_code=status.HTTP_303_SEE_OTHER)
    page = "/web/family/" if principal.role is Role.FAMILY else "/web/console/"
    return RedirectResponse(f"{page}?alert={alert_id}", status_code=status.HTTP_303_SEE_OTHER)
