"""Message catalogues of disaster alerts: per language, the hazard's name, what to do, and the frame.

Japanese first; やさしい日本語 (ja-easy) uses short sentences, common kanji with readings left
out, and spaces between phrases, as the Agency for Cultural Affairs' guidelines suggest.
"""

from __future__ import annotations

from dataclasses import dataclass

from alerts.disaster.model import HAZARD_LABELS_JA, CapSeverity, Language
from maps import Hazard


@dataclass(frozen=True, slots=True)
class Catalogue:
    """Every sentence of one language; `{…}` fields are filled by compose()."""

    hazards: dict[Hazard, str]
    actions: dict[Hazard, str]
    severities: dict[CapSeverity, str]
    title: str  # {severity} {hazard} {area}
    lead: str  # {area} {hazard}
    shelter: str  # {shelter} {distance} {map}; {distance} is the `distance` phrase
    distance: str  # {metres}, rounded to 10 m: 約140m
    no_shelter: str
    update_prefix: str
    cancel_title: str  # {hazard} {area}
    cancel_body: str  # {hazard} {area}
    safe: str
    need_help: str
    answer_prompt: str
    family_lead: str  # {person} {area} {hazard}


CATALOGUES: dict[Language, Catalogue] = {
    Language.JA: Catalogue(
        hazards=dict(HAZARD_LABELS_JA),
        actions={
            Hazard.FLOOD: "川の近くや低い土地から離れ、避難場所へ避難してください。間に合わない場合は建物の2階以上へ。",
            Hazard.STORM_SURGE: "海や川から離れ、高い建物や避難場所へ避難してください。",
            Hazard.EARTHQUAKE: "身の安全を確保し、揺れが収まったら火の始末をして、倒れた物や余震に注意してください。",
            Hazard.TSUNAMI: "直ちに海や川から離れ、できるだけ高い場所へ避難してください。",
            Hazard.LARGE_FIRE: "煙を吸わないよう姿勢を低くし、風上の広い場所へ避難してください。",
            Hazard.LANDSLIDE: "崖や斜面から離れ、安全な場所へ避難してください。",
            Hazard.INLAND_FLOOD: "地下や低い場所から離れ、建物の上の階か避難場所へ移動してください。",
            Hazard.VOLCANO: "屋内に入り、降灰や噴石に注意して、指示に従ってください。",
        },
        severities={
            CapSeverity.EXTREME: "緊急",
            CapSeverity.SEVERE: "警報",
            CapSeverity.MODERATE: "注意報",
            CapSeverity.MINOR: "情報",
            CapSeverity.UNKNOWN: "情報",
        },
        title="【{severity}】{hazard}（{area}）",
        lead="{area}に{hazard}の危険があります。",
        shelter="避難場所：{shelter}（{distance}）地図：{map}",
        distance="約{metres}m",
        no_shelter="近くに対応する避難場所がありません。安全な場所へ移動してください。",
        update_prefix="【更新】",
        cancel_title="【解除】{hazard}（{area}）",
        cancel_body="{area}の{hazard}の情報は解除されました。",
        safe="無事です",
        need_help="助けが必要",
        answer_prompt="安否をお知らせください",
        family_lead="{person}さんのお住まい（{area}）に{hazard}の危険があります。",
    ),
    Language.JA_EASY: Catalogue(
        hazards={
            Hazard.FLOOD: "大雨で 川の 水が あふれる 危険",
            Hazard.STORM_SURGE: "海の 水が 高く なる 危険",
            Hazard.EARTHQUAKE: "地震",
            Hazard.TSUNAMI: "津波",
            Hazard.LARGE_FIRE: "大きな 火事",
            Hazard.LANDSLIDE: "崖が 崩れる 危険",
            Hazard.INLAND_FLOOD: "町に 水が あふれる 危険",
            Hazard.VOLCANO: "火山の 噴火",
        },
        actions={
            Hazard.FLOOD: "川から 離れて ください。避難場所に 行って ください。",
            Hazard.STORM_SURGE: "海や 川から 離れて ください。高い 建物に 行って ください。",
            Hazard.EARTHQUAKE: "頭を 守って ください。揺れが 止まったら 火を 消して ください。",
            Hazard.TSUNAMI: "すぐに 高い ところへ 逃げて ください。",
            Hazard.LARGE_FIRE: "煙を 吸わないで ください。広い ところへ 逃げて ください。",
            Hazard.LANDSLIDE: "崖から 離れて ください。",
            Hazard.INLAND_FLOOD: "地下に 行かないで ください。高い 階に 行って ください。",
            Hazard.VOLCANO: "建物の 中に 入って ください。",
        },
        severities={
            CapSeverity.EXTREME: "とても 危ない",
            CapSeverity.SEVERE: "危ない",
            CapSeverity.MODERATE: "気を つけて",
            CapSeverity.MINOR: "お知らせ",
            CapSeverity.UNKNOWN: "お知らせ",
        },
        # the area carries its reading in brackets already: 台東区（たいとうく）
        title="【{severity}】{area}：{hazard}",
        lead="{area}で {hazard}が あります。",
        shelter="逃げる ところ：{shelter}（{distance}）地図：{map}",
        distance="{metres}m",
        no_shelter="近くに 逃げる ところが ありません。安全な ところへ 行って ください。",
        update_prefix="【新しい お知らせ】",
        cancel_title="【終わり】{area}：{hazard}",
        cancel_body="{area}の {hazard}の お知らせは 終わりました。",
        safe="だいじょうぶ です",
        need_help="たすけて ください",
        answer_prompt="だいじょうぶ ですか？",
        family_lead="{person}さんの 家（{area}）で {hazard}が あります。",
    ),
    Language.EN: Catalogue(
        hazards={
            Hazard.FLOOD: "Flood",
            Hazard.STORM_SURGE: "Storm surge",
            Hazard.EARTHQUAKE: "Earthquake",
            Hazard.TSUNAMI: "Tsunami",
            Hazard.LARGE_FIRE: "Large fire",
            Hazard.LANDSLIDE: "Landslide",
            Hazard.INLAND_FLOOD: "Urban flooding",
            Hazard.VOLCANO: "Volcanic eruption",
        },
        actions={
            Hazard.FLOOD: (
                "Move away from rivers and low ground and go to the evacuation site. "
                "If it is too late, go to the second floor or higher."
            ),
            Hazard.STORM_SURGE: "Move away from the sea and rivers to a tall building or the evacuation site.",
            Hazard.EARTHQUAKE: "Protect your head. When the shaking stops, put out any fire; expect aftershocks.",
            Hazard.TSUNAMI: "Leave the coast and riverbanks now and go to the highest ground you can reach.",
            Hazard.LARGE_FIRE: "Stay low to avoid smoke and go upwind to a wide open space.",
            Hazard.LANDSLIDE: "Move away from cliffs and slopes to a safe place.",
            Hazard.INLAND_FLOOD: "Leave basements and low places; go to an upper floor or the evacuation site.",
            Hazard.VOLCANO: "Stay indoors, beware of falling ash and stones, and follow instructions.",
        },
        severities={
            CapSeverity.EXTREME: "Emergency",
            CapSeverity.SEVERE: "Warning",
            CapSeverity.MODERATE: "Advisory",
            CapSeverity.MINOR: "Information",
            CapSeverity.UNKNOWN: "Information",
        },
        title="[{severity}] {hazard} ({area})",
        lead="{hazard} danger in {area}.",
        shelter="Evacuation site: {shelter} ({distance}) Map: {map}",
        distance="about {metres} m",
        no_shelter="No suitable evacuation site nearby. Move to a safe place.",
        update_prefix="[Update] ",
        cancel_title="[Cancelled] {hazard} ({area})",
        cancel_body="The {hazard} alert for {area} has been cancelled.",
        safe="I'm safe",
        need_help="I need help",
        answer_prompt="Please tell us you are safe",
        family_lead="{hazard} danger where {person} lives ({area}).",
    ),
    Language.ZH_HANS: Catalogue(
        hazards={
            Hazard.FLOOD: "洪水",
            Hazard.STORM_SURGE: "风暴潮",
            Hazard.EARTHQUAKE: "地震",
            Hazard.TSUNAMI: "海啸",
            Hazard.LARGE_FIRE: "大规模火灾",
            Hazard.LANDSLIDE: "山体滑坡",
            Hazard.INLAND_FLOOD: "内涝",
            Hazard.VOLCANO: "火山喷发",
        },
        actions={
            Hazard.FLOOD: "请远离河流和低洼地带，前往避难场所。来不及时请到建筑物二楼以上。",
            Hazard.STORM_SURGE: "请远离海边和河流，前往高层建筑或避难场所。",
            Hazard.EARTHQUAKE: "请保护头部。摇晃停止后关火，并注意余震。",
            Hazard.TSUNAMI: "请立即远离海边和河流，前往尽可能高的地方。",
            Hazard.LARGE_FIRE: "请压低身体避免吸入烟雾，向上风处的开阔地避难。",
            Hazard.LANDSLIDE: "请远离悬崖和斜坡，前往安全的地方。",
            Hazard.INLAND_FLOOD: "请离开地下和低处，前往楼上或避难场所。",
            Hazard.VOLCANO: "请留在室内，注意火山灰和飞石，并听从指示。",
        },
        severities={
            CapSeverity.EXTREME: "紧急",
            CapSeverity.SEVERE: "警报",
            CapSeverity.MODERATE: "注意",
            CapSeverity.MINOR: "信息",
            CapSeverity.UNKNOWN: "信息",
        },
        title="【{severity}】{hazard}（{area}）",
        lead="{area}有{hazard}危险。",
        shelter="避难场所：{shelter}（{distance}）地图：{map}",
        distance="约{metres}米",
        no_shelter="附近没有合适的避难场所，请前往安全的地方。",
        update_prefix="【更新】",
        cancel_title="【解除】{hazard}（{area}）",
        cancel_body="{area}的{hazard}警报已解除。",
        safe="我很安全",
        need_help="我需要帮助",
        answer_prompt="请告诉我们您是否安全",
        family_lead="{person}的住处（{area}）有{hazard}危险。",
    ),
    Language.KO: Catalogue(
        hazards={
            Hazard.FLOOD: "홍수",
            Hazard.STORM_SURGE: "해일(폭풍해일)",
            Hazard.EARTHQUAKE: "지진",
            Hazard.TSUNAMI: "쓰나미",
            Hazard.LARGE_FIRE: "대규모 화재",
            Hazard.LANDSLIDE: "산사태",
            Hazard.INLAND_FLOOD: "내수 침수",
            Hazard.VOLCANO: "화산 분화",
        },
        actions={
            Hazard.FLOOD: "강과 낮은 곳에서 벗어나 대피 장소로 대피하십시오. 늦었다면 건물 2층 이상으로 가십시오.",
            Hazard.STORM_SURGE: "바다와 강에서 벗어나 높은 건물이나 대피 장소로 대피하십시오.",
            Hazard.EARTHQUAKE: "머리를 보호하고, 흔들림이 멈추면 불을 끄고 여진에 주의하십시오.",
            Hazard.TSUNAMI: "즉시 바다와 강에서 벗어나 가능한 한 높은 곳으로 대피하십시오.",
            Hazard.LARGE_FIRE: "연기를 마시지 않도록 몸을 낮추고 바람이 불어오는 쪽의 넓은 곳으로 대피하십시오.",
            Hazard.LANDSLIDE: "절벽과 경사면에서 벗어나 안전한 곳으로 대피하십시오.",
            Hazard.INLAND_FLOOD: "지하와 낮은 곳에서 벗어나 위층이나 대피 장소로 이동하십시오.",
            Hazard.VOLCANO: "실내에 머무르고 화산재와 분석에 주의하며 지시에 따르십시오.",
        },
        severities={
            CapSeverity.EXTREME: "긴급",
            CapSeverity.SEVERE: "경보",
            CapSeverity.MODERATE: "주의보",
            CapSeverity.MINOR: "정보",
            CapSeverity.UNKNOWN: "정보",
        },
        title="[{severity}] {hazard} ({area})",
        lead="{area}에 {hazard} 위험이 있습니다.",
        shelter="대피 장소: {shelter} ({distance}) 지도: {map}",
        distance="약 {metres}m",
        no_shelter="근처에 알맞은 대피 장소가 없습니다. 안전한 곳으로 이동하십시오.",
        update_prefix="[갱신] ",
        cancel_title="[해제] {hazard} ({area})",
        cancel_body="{area}의 {hazard} 경보가 해제되었습니다.",
        safe="무사합니다",
        need_help="도움이 필요합니다",
        answer_prompt="안부를 알려 주십시오",
        family_lead="{person}님의 거주지({area})에 {hazard} 위험이 있습니다.",
    ),
}

_ALIASES = {
    "ja-jp": Language.JA,
    "ja-easy": Language.JA_EASY,
    "ja-x-easy": Language.JA_EASY,
    "ja-jp-x-easy": Language.JA_EASY,
    "zh": Language.ZH_HANS,
    "zh-hans": Language.ZH_HANS,
    "zh-cn": Language.ZH_HANS,
    "zh-sg": Language.ZH_HANS,
    "zh-hans-cn": Language.ZH_HANS,
    "ko-kr": Language.KO,
    "en-us": Language.EN,
    "en-gb": Language.EN,
}


def pick_language(tag: str | None) -> Language:
    """Return the catalogue language for a language tag ("zh-CN" → zh-Hans); Japanese when unknown."""
    if not tag:
        return Language.JA
    lowered = tag.strip().replace("_", "-").lower()
    if lowered in _ALIASES:
        return _ALIASES[lowered]
    for language in Language:
        if lowered == language.value.lower():
            return language
    primary = lowered.split("-")[0]
    return {"ja": Language.JA, "en": Language.EN, "zh": Language.ZH_HANS, "ko": Language.KO}.get(primary, Language.JA)


def cap_language(language: Language) -> str:
    """Return the RFC 3066 tag a CAP info block carries for a catalogue language."""
    return {
        Language.JA: "ja-JP",
        Language.JA_EASY: "ja-JP-x-easy",
        Language.EN: "en-US",
        Language.ZH_HANS: "zh-Hans",
        Language.KO: "ko-KR",
    }[language]
