"""Messages per language, from templates per hazard, with the hazard-aware shelter filled in."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from alerts.disaster import (
    ARAKAWA_CLOSED,
    CATALOGUES,
    AlertContent,
    AlertText,
    AnswerLinks,
    AreaSpec,
    CapCertainty,
    CapSeverity,
    CapUrgency,
    Language,
    MessageType,
    ShelterFinder,
    compose,
    municipality_name,
    parse_hazard,
    pick_language,
)
from maps import Hazard, emergency_sites, municipalities, municipality_boundary, random_points_within

ASAKUSA = (35.7148, 139.7967)


def content(hazard: Hazard = Hazard.FLOOD, **changes: object) -> AlertContent:
    values: dict[str, object] = {
        "identifier": "test-1",
        "sender": "bousai@city.taito.lg.jp",
        "sent": datetime(2026, 11, 26, 0, 0, tzinfo=UTC),
        "hazard": hazard,
        "severity": CapSeverity.SEVERE,
        "urgency": CapUrgency.IMMEDIATE,
        "certainty": CapCertainty.LIKELY,
        "area": AreaSpec(municipalities=("13106",)),
    }
    values.update(changes)
    return AlertContent(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("tag", "language"),
    [
        ("ja", Language.JA),
        ("ja-JP", Language.JA),
        ("ja-easy", Language.JA_EASY),
        ("ja-JP-x-easy", Language.JA_EASY),
        ("en-GB", Language.EN),
        ("zh-CN", Language.ZH_HANS),
        ("zh-Hans", Language.ZH_HANS),
        ("ko-KR", Language.KO),
        ("fr", Language.JA),
        (None, Language.JA),
    ],
)
def test_language_tags_pick_a_catalogue(tag: str | None, language: Language) -> None:
    """Browser and CAP language tags map to the five catalogues; unknown ones fall back to Japanese."""
    assert pick_language(tag) is language


def test_every_catalogue_names_every_hazard_and_what_to_do() -> None:
    """No language lacks a hazard's name or its instruction."""
    for catalogue in CATALOGUES.values():
        assert set(catalogue.hazards) == set(Hazard)
        assert set(catalogue.actions) == set(Hazard)


def test_hazards_are_named_as_the_shelter_data_names_them() -> None:
    """The eight hazards are accepted by their Japanese names and their codes."""
    labels = ["洪水", "高潮", "地震", "津波", "大規模な火事", "崖崩れ等", "内水氾濫", "火山"]

    assert {parse_hazard(label) for label in labels} == set(Hazard)
    assert parse_hazard("storm_surge") is Hazard.STORM_SURGE


@pytest.mark.parametrize(
    ("language", "title", "shelter_line"),
    [
        (Language.JA, "【警報】洪水（台東区）", "避難場所：上野中学校（約2,360m）"),
        (
            Language.JA_EASY,
            "【危ない】台東区（たいとうく）：大雨で 川の 水が あふれる 危険",
            "逃げる ところ：上野中学校（2,360m）",
        ),
        (Language.EN, "[Warning] Flood (Taito City)", "Evacuation site: 上野中学校 (about 2,360 m)"),
        (Language.ZH_HANS, "【警报】洪水（台东区）", "避难场所：上野中学校（约2,360米）"),
        (Language.KO, "[경보] 홍수 (다이토구)", "대피 장소: 上野中学校 (약 2,360m)"),
    ],
)
def test_message_in_each_language_names_hazard_area_and_shelter(
    language: Language, title: str, shelter_line: str
) -> None:
    """Each language gets the hazard, the area, what to do, the shelter with its distance and a map link."""
    shelter = ShelterFinder(Hazard.FLOOD).nearest(35.713522, 139.799231)  # at 浅草小学校, closed in a flood

    message = compose(content(), language, shelter=shelter)

    assert message.title == title
    assert shelter_line in message.body
    assert CATALOGUES[language].actions[Hazard.FLOOD] in message.body
    assert "https://maps.gsi.go.jp/#17/35.721218/139.774904/" in message.body


def test_operator_text_is_used_for_its_language_and_templates_for_the_others() -> None:
    """The operator's Japanese words reach Japanese readers; English readers get the template."""
    alert = content(texts={"ja": AlertText(headline="隅田川が氾濫危険水位に達しました", instruction="直ちに避難")})

    japanese = compose(alert, Language.JA, shelter=None)
    english = compose(alert, Language.EN, shelter=None)

    assert "隅田川が氾濫危険水位に達しました" in japanese.body and "直ちに避難" in japanese.body
    assert "隅田川" not in english.body
    assert "Flood danger in Taito City." in english.body


def test_answer_links_are_in_the_message() -> None:
    """Both one-tap answers are offered, labelled in the reader's language."""
    message = compose(
        content(), Language.KO, shelter=None, links=AnswerLinks(safe="https://x/s", need_help="https://x/h")
    )

    assert "무사합니다: https://x/s" in message.body
    assert "도움이 필요합니다: https://x/h" in message.body


def test_update_and_cancel_say_so_in_the_title() -> None:
    """Updates carry the update mark; a cancellation says the alert is over, without links."""
    update = compose(content(message_type=MessageType.UPDATE), Language.JA, shelter=None)
    cancel = compose(content(message_type=MessageType.CANCEL), Language.EN, shelter=None)

    assert update.title.startswith("【更新】")
    assert cancel.title == "[Cancelled] Flood (Taito City)"
    assert cancel.safe_url is None


def test_a_flood_never_sends_anyone_to_a_site_closed_when_the_arakawa_floods() -> None:
    """From 300 places across Taito, the nearest flood shelter is never one marked closed in an Arakawa flood."""
    finder = ShelterFinder(Hazard.FLOOD)
    places = random_points_within(municipality_boundary("13106"), 300, seed=11)

    chosen = {finder.nearest(lat, lon).shelter.name for lat, lon in places}  # type: ignore[union-attr]

    closed = {site.name for site in emergency_sites() if ARAKAWA_CLOSED in site.remarks}
    assert chosen and not chosen & closed
    assert chosen <= {"上野中学校", "谷中小学校", "忍岡小学校"}


def test_storm_surge_may_use_the_nearest_site_that_suits_it() -> None:
    """For a storm surge the Arakawa remark does not apply: 浅草小学校 serves its own neighbourhood."""
    choice = ShelterFinder(Hazard.STORM_SURGE).nearest(35.713522, 139.799231)

    assert choice is not None and choice.shelter.name == "浅草小学校"


def test_landslide_only_goes_to_sites_flagged_for_it() -> None:
    """Only the two sites flagged for landslides are chosen for a landslide."""
    choice = ShelterFinder(Hazard.LANDSLIDE).nearest(*ASAKUSA)

    assert choice is not None and choice.shelter.name in {"谷中小学校", "忍岡小学校"}


def test_a_hazard_no_site_suits_offers_no_shelter() -> None:
    """No Taito site is flagged for tsunamis: the message tells people to go somewhere safe instead."""
    assert ShelterFinder(Hazard.TSUNAMI).nearest(*ASAKUSA) is None
    assert "近くに対応する避難場所がありません" in compose(content(Hazard.TSUNAMI), Language.JA, shelter=None).body


def test_every_shipped_municipality_has_a_name_in_each_language() -> None:
    """The names table covers every boundary shipped, and two wards read as the wards spell themselves."""
    for code in municipalities():
        names = [municipality_name(code, language) for language in Language]
        assert all(names) and len(set(names)) >= 3, (code, names)

    assert municipality_name("13106", Language.EN) == "Taito City"
    assert municipality_name("13122", Language.KO) == "가쓰시카구"
    assert municipality_name("13107", Language.JA_EASY) == "墨田区（すみだく）"


def test_a_two_ward_area_lists_both_names_in_the_reader_language() -> None:
    """An alert for Taito and Sumida names both wards, joined as the language joins lists."""
    both = content(area=AreaSpec(municipalities=("13106", "13107")))

    assert compose(both, Language.EN, shelter=None).title == "[Warning] Flood (Taito City, Sumida City)"
    assert compose(both, Language.JA, shelter=None).title == "【警報】洪水（台東区・墨田区）"
    assert compose(both, Language.ZH_HANS, shelter=None).title == "【警报】洪水（台东区、墨田区）"


def test_a_drawn_area_keeps_the_operator_description_in_every_language() -> None:
    """A circle with no ward keeps the words the operator gave it (there is nothing to translate it from)."""
    drawn = content(
        area=AreaSpec(polygons=(((35.71, 139.79), (35.72, 139.79), (35.72, 139.80)),), description="浅草周辺")
    )

    assert compose(drawn, Language.EN, shelter=None).title == "[Warning] Flood (浅草周辺)"
