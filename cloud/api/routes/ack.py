"""One-tap acknowledgement from a notification: a public, signed, expiring link (no login).

The link names the alert and the contact it was sent to; opening it acknowledges the alert as
that contact (the audit log records the contact and that it came through a link) and shows a
small confirmation page in the contact's language.
"""

from __future__ import annotations

from html import escape

from fastapi import APIRouter, status
from fastapi.responses import HTMLResponse

from alerts.messages import CATALOGUES, catalogue_language, local_time
from alerts.signals import RuleName
from cloud.ack_links import InvalidAckLink
from cloud.alerting import AlertNotFound, AlertStateError
from cloud.api.deps import ServiceDep
from cloud.db.models import Alert, Contact, Household

router = APIRouter(prefix="/ack", tags=["acknowledgement links"])

_PAGE = """<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>body{{font-family:sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem;line-height:1.6}}
h1{{font-size:1.4rem}}</style></head>
<body><h1>{title}</h1><p>{body}</p></body></html>
"""


def _page(lang: str, key: str, code: int = status.HTTP_200_OK, **values: str) -> HTMLResponse:
    texts = CATALOGUES[lang]
    safe = {name: escape(value) for name, value in values.items()}
    title = escape(texts[f"page.{key}.title"])
    body = texts[f"page.{key}.body"].format(**safe) if safe else escape(texts[f"page.{key}.body"])
    # a catalogue name is not always a language tag: やさしい日本語 is Japanese to the browser
    tag = "ja" if lang == "ja-easy" else lang
    return HTMLResponse(_PAGE.format(lang=tag, title=title, body=body), status_code=code)


@router.get("/{token}", response_class=HTMLResponse)
def acknowledge_by_link(token: str, service: ServiceDep) -> HTMLResponse:
    """Acknowledge an alert as the contact the link was sent to, and confirm it on a page."""
    signer = service.lifecycle.links
    if signer is None:
        return _page("ja", "invalid", status.HTTP_404_NOT_FOUND)
    try:
        claim = signer.read(token, now=service.clock.now())
    except InvalidAckLink:
        return _page("ja", "invalid", status.HTTP_403_FORBIDDEN)
    with service.sessions() as session:
        contact = session.get(Contact, claim.contact_id)
        alert = session.get(Alert, claim.alert_id)
        if contact is None or alert is None or contact.household_id != alert.household_id:
            return _page("ja", "invalid", status.HTTP_404_NOT_FOUND)
        household = session.get_one(Household, alert.household_id)
        lang = catalogue_language(contact.language)
        texts = CATALOGUES[lang]
        values = {
            "person": household.people[0].name if household.people else household.name,
            "rule": texts[f"rule.{RuleName(alert.rule).value}"],
            "when": local_time(alert.opened_at, language=lang),
            "by": contact.name,
        }
        state, acknowledged_by = alert.state, alert.acknowledged_by
    if state == "resolved":
        return _page(lang, "resolved", **values)
    if state == "acknowledged":
        return _page(lang, "already", **{**values, "by": acknowledged_by or ""})
    try:
        service.lifecycle.acknowledge(claim.alert_id, by=values["by"], contact_id=claim.contact_id, via="link")
    except AlertNotFound:
        return _page(lang, "invalid", status.HTTP_404_NOT_FOUND)
    except AlertStateError:
        return _page(lang, "already", **values)
    return _page(lang, "acknowledged", **values)
