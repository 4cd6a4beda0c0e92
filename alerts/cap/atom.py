"""The Atom feed of CAP messages: write ours, read others' (each entry links to a CAP document)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from alerts.cap.export import cap_datetime

ATOM_NS = "http://www.w3.org/2005/Atom"
CAP_MEDIA_TYPE = "application/cap+xml"


@dataclass(frozen=True, slots=True)
class FeedEntry:
    """One alert in a feed: its CAP identifier, title, time, and where its CAP document is."""

    identifier: str
    title: str
    updated: datetime
    cap_url: str


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM_NS}}}{tag}", attributes)
    if text is not None:
        element.text = text
    return element


def to_atom(entries: Sequence[FeedEntry], *, feed_id: str, title: str, self_url: str, updated: datetime) -> bytes:
    """Return an Atom feed listing CAP messages, newest first."""
    ET.register_namespace("", ATOM_NS)
    feed = ET.Element(f"{{{ATOM_NS}}}feed")
    _sub(feed, "id", feed_id)
    _sub(feed, "title", title)
    _sub(feed, "updated", cap_datetime(updated))
    _sub(feed, "link", rel="self", href=self_url)
    author = _sub(feed, "author")
    _sub(author, "name", title)
    for entry in entries:
        item = _sub(feed, "entry")
        _sub(item, "id", entry.identifier)
        _sub(item, "title", entry.title)
        _sub(item, "updated", cap_datetime(entry.updated))
        _sub(item, "link", rel="alternate", type=CAP_MEDIA_TYPE, href=entry.cap_url)
    return bytes(ET.tostring(feed, encoding="utf-8", xml_declaration=True))


def cap_links(document: bytes | str) -> list[str]:
    """Return the CAP document URLs an Atom feed's entries link to, in feed order."""
    root = ET.fromstring(document)
    links: list[str] = []
    for entry in root.iter(f"{{{ATOM_NS}}}entry"):
        found = [link for link in entry.iter(f"{{{ATOM_NS}}}link") if link.get("href")]
        cap = [link for link in found if link.get("type") == CAP_MEDIA_TYPE] or found
        if cap:
            links.append(str(cap[0].get("href")))
    return links
