"""CAP 1.2: every alert exports to a schema-valid message; real and written messages import."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

import pytest

from alerts.cap import CAP12_NS, CapFormatError, CapValidationError, cap_datetime, read_cap, to_cap, validate_cap
from alerts.disaster import (
    AlertContent,
    AlertText,
    AreaSpec,
    CapCertainty,
    CapSeverity,
    CapUrgency,
    Circle,
    MessageType,
)
from maps import Hazard

DATA = Path(__file__).resolve().parents[1] / "data" / "cap"
NS = {"cap": CAP12_NS}
SENT = datetime(2026, 11, 26, 0, 30, 15, 123456, tzinfo=UTC)
RIVERSIDE = ((35.715, 139.795), (35.715, 139.800), (35.705, 139.800), (35.705, 139.795))


def alert(**changes: object) -> AlertContent:
    values: dict[str, object] = {
        "identifier": "mimamori-20261126-0001",
        "sender": "bousai@city.taito.lg.jp",
        "sent": SENT,
        "hazard": Hazard.FLOOD,
        "severity": CapSeverity.SEVERE,
        "urgency": CapUrgency.IMMEDIATE,
        "certainty": CapCertainty.LIKELY,
        "area": AreaSpec(
            polygons=(RIVERSIDE,), circles=(Circle(lat=35.7148, lon=139.7967, radius_m=750),), description="隅田川沿い"
        ),
        "texts": {"ja": AlertText(headline="隅田川 氾濫危険情報", description="水位が上昇しています")},
    }
    values.update(changes)
    return AlertContent(**values)  # type: ignore[arg-type]


def test_export_validates_against_the_oasis_schema() -> None:
    """A flood alert with a polygon, a circle and a ward validates against cap12.xsd."""
    document = to_cap(alert(area=AreaSpec(polygons=(RIVERSIDE,), municipalities=("13106",))))

    validate_cap(document)


def test_export_writes_times_with_an_offset_and_no_fractions() -> None:
    """sent is in Tokyo time with +09:00, no 'Z' and no fractional seconds."""
    root = ET.fromstring(to_cap(alert()))

    assert root.findtext("cap:sent", namespaces=NS) == "2026-11-26T09:30:15+09:00"
    assert cap_datetime(SENT).endswith("+09:00")


def test_export_writes_polygons_closed_and_circles_in_kilometres() -> None:
    """Polygons are lat,lon pairs with the first point repeated; circles are 'lat,lon radius_km'."""
    root = ET.fromstring(to_cap(alert()))
    area = root.find("cap:info/cap:area", NS)
    assert area is not None

    pairs = (area.findtext("cap:polygon", namespaces=NS) or "").split()
    assert pairs[0] == pairs[-1] == "35.715000,139.795000"
    assert len(pairs) == 5
    assert area.findtext("cap:circle", namespaces=NS) == "35.714800,139.796700 0.750"


def test_export_has_one_info_block_per_language() -> None:
    """Japanese, easy Japanese, English, Chinese and Korean each get an info block."""
    root = ET.fromstring(to_cap(alert()))

    languages = [info.findtext("cap:language", namespaces=NS) for info in root.findall("cap:info", NS)]

    assert languages == ["ja-JP", "ja-JP-x-easy", "en-US", "zh-Hans", "ko-KR"]


def test_each_info_block_names_the_ward_in_its_language() -> None:
    """The areaDesc of a Taito City alert names the ward in each info block's language."""
    root = ET.fromstring(to_cap(alert(area=AreaSpec(municipalities=("13106",)), texts={})))

    described = {
        info.findtext("cap:language", namespaces=NS): info.findtext("cap:area/cap:areaDesc", namespaces=NS)
        for info in root.findall("cap:info", NS)
    }

    assert described == {
        "ja-JP": "台東区",
        "ja-JP-x-easy": "台東区（たいとうく）",
        "en-US": "Taito City",
        "zh-Hans": "台东区",
        "ko-KR": "다이토구",
    }
    english = root.find("cap:info[cap:language='en-US']", NS)
    assert english is not None and "Taito City" in (english.findtext("cap:headline", namespaces=NS) or "")


def test_an_update_refers_to_the_message_it_updates() -> None:
    """An Update carries references 'sender,identifier,sent' of the earlier message and still validates."""
    first = alert()
    update = alert(
        identifier="mimamori-20261126-0001-v2",
        message_type=MessageType.UPDATE,
        references=((first.sender, first.identifier, first.sent),),
    )
    document = to_cap(update)

    validate_cap(document)
    root = ET.fromstring(document)
    assert root.findtext("cap:msgType", namespaces=NS) == "Update"
    assert root.findtext("cap:references", namespaces=NS) == (
        "bousai@city.taito.lg.jp,mimamori-20261126-0001,2026-11-26T09:30:15+09:00"
    )


def test_the_validator_refuses_a_utc_z_time() -> None:
    """A dateTime with 'Z' is not CAP 1.2, so the validator says so."""
    document = re.sub(rb"<sent>[^<]+</sent>", b"<sent>2026-11-26T00:30:15Z</sent>", to_cap(alert()))

    with pytest.raises(CapValidationError):
        validate_cap(document)


def test_our_own_message_reads_back_with_every_language_and_the_area() -> None:
    """A written message imports with its texts per language, polygon, circle and municipality."""
    written = alert(
        area=AreaSpec(polygons=(RIVERSIDE,), circles=(Circle(35.7148, 139.7967, 750),), municipalities=("13106",))
    )

    imported = read_cap(to_cap(written))

    content = imported.content
    assert content.hazard is Hazard.FLOOD and content.sent == SENT.replace(microsecond=0)
    assert set(content.texts) == {"ja", "ja-easy", "en", "zh-Hans", "ko"}
    assert content.texts["ja"].headline == "隅田川 氾濫危険情報"
    assert content.area.municipalities == ("13106",)
    assert content.area.circles == (Circle(35.7148, 139.7967, 750.0),)
    assert RIVERSIDE in content.area.polygons
    assert imported.mapped_area


def test_the_real_earthquake_sample_imports() -> None:
    """USGS's earthquake message (CAP 1.1) reads as an earthquake with its circle and English text."""
    imported = read_cap((DATA / "earthquake.cap").read_bytes())

    content = imported.content
    assert content.hazard is Hazard.EARTHQUAKE
    assert content.identifier == "USGS-earthquakes-us2010apcd.6.20100831T000925.496Z"
    assert content.urgency is CapUrgency.PAST and content.certainty is CapCertainty.LIKELY
    assert content.area.circles == (Circle(-16.053, -173.274, 0.0),)
    assert content.texts["en"].headline == "EQ 6.3 Neiafu, Tonga - PRELIMINARY REPORT"
    assert content.sent == datetime(2010, 8, 31, 5, 9, 25, tzinfo=UTC)
    assert not imported.mapped_area  # a zero-radius circle covers no ground to target


def test_the_real_weather_sample_imports() -> None:
    """NWS's flash-flood watch reads as a flood; its US geocodes are kept but map to no Tokyo ward."""
    imported = read_cap((DATA / "weather.cap").read_bytes())

    content = imported.content
    assert content.hazard is Hazard.FLOOD
    assert content.severity is CapSeverity.SEVERE
    assert ("FIPS6", "030049") in content.area.geocodes
    assert content.texts["en"].instruction.startswith("A FLASH FLOOD WATCH MEANS")
    assert not imported.mapped_area


def test_a_jma_municipality_code_maps_to_the_ward() -> None:
    """A JMA geocode 1310600 becomes Taito City's boundary."""
    document = f"""<alert xmlns="{CAP12_NS}"><identifier>jma-1</identifier><sender>jma</sender>
      <sent>2026-11-26T09:00:00+09:00</sent><status>Actual</status><msgType>Alert</msgType><scope>Public</scope>
      <info><language>ja-JP</language><category>Met</category><event>洪水警報</event><urgency>Immediate</urgency>
      <severity>Severe</severity><certainty>Likely</certainty><headline>台東区に洪水警報</headline>
      <area><areaDesc>台東区</areaDesc><geocode><valueName>JMA</valueName><value>1310600</value></geocode></area>
      </info></alert>"""

    imported = read_cap(document)

    assert imported.content.area.municipalities == ("13106",)
    assert imported.content.texts["ja"].headline == "台東区に洪水警報"
    assert imported.mapped_area


@pytest.mark.parametrize(
    "document",
    [b"not xml", b"<feed/>", f'<alert xmlns="{CAP12_NS}"><identifier>x</identifier></alert>'.encode()],
)
def test_documents_that_are_not_cap_alerts_are_refused(document: bytes) -> None:
    """Garbage, other XML and an alert with nothing to send raise CapFormatError."""
    with pytest.raises(CapFormatError):
        read_cap(document)
