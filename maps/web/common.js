// Shared by the pages: the message catalogue, API calls with the CSRF header, the live stream.
"use strict";
const MESSAGES = {
  ja: {
    "app.title": "見守りコンソール", "login.title": "ログイン", "login.user": "ユーザー名", "login.password": "パスワード",
    "login.submit": "ログイン", "login.failed": "ユーザー名またはパスワードが違います", "login.locked": "ログインの失敗が続いたため、しばらくお待ちください",
    "logout": "ログアウト", "lang.switch": "English", "alerts.open": "未対応のアラート", "alerts.none": "未対応のアラートはありません",
    "alert.ack": "対応します", "alert.resolve": "解決", "alert.assign": "担当", "alert.note": "メモ", "alert.acked_by": "対応者",
    "alert.assigned": "担当者", "prompt.assign": "担当者の名前", "prompt.note": "メモを入力",
    "state.ok": "異常なし", "state.attention": "要確認", "state.alert": "アラート", "state.offline": "オフライン",
    "sev.critical": "緊急", "sev.high": "高", "sev.medium": "中", "sev.low": "低",
    "rule.emergency_button": "緊急ボタン", "rule.inactivity": "長時間の無反応", "rule.gateway_offline": "機器オフライン",
    "rule.unusual_day": "いつもと違う一日", "rule.heat_risk": "熱中症の危険", "rule.cold_risk": "低温の危険",
    "rule.night_wandering": "夜間の外出", "rule.sensor_silent": "センサー無応答", "rule.low_battery": "電池残量低下",
    "detail.title": "世帯の詳細", "detail.person": "見守り対象者", "detail.contacts": "連絡先", "detail.devices": "機器",
    "detail.events": "最近の出来事", "detail.battery": "電池", "detail.last_seen": "最終受信", "detail.close": "閉じる",
    "chart.motion": "1時間ごとの動き", "chart.temperature": "室温 (℃)", "chart.wbgt": "暑さ指数 WBGT (℃)", "chart.24h": "24時間", "chart.7d": "7日間",
    "chart.none": "データなし",
    "layer.households": "見守り世帯", "layer.shelters": "避難所", "layer.sites": "緊急避難場所", "layer.boundary": "区の境界",
    "layer.safe_zones": "安全エリア", "layer.disaster": "災害エリア",
    "live.connected": "ライブ更新中", "live.lost": "再接続中…", "age.min": "分前", "age.h": "時間前",
    "event.motion_detected": "動き", "event.door_opened": "ドア開", "event.door_closed": "ドア閉", "event.button_pressed": "ボタン",
    "hazard.flood": "洪水", "hazard.landslide": "土砂災害", "hazard.storm_surge": "高潮", "hazard.earthquake": "地震",
    "hazard.tsunami": "津波", "hazard.large_fire": "大規模火災", "hazard.inland_flood": "内水氾濫", "hazard.volcano": "火山",
    "family.title": "ご家族の見守り", "family.history": "これまでのアラート", "family.settings": "連絡の設定",
    "family.language": "通知の言語", "family.active": "通知を受け取る", "family.save": "保存", "family.saved": "保存しました",
    "family.quiet": "通知しない時間帯", "family.quiet_start": "開始", "family.quiet_end": "終了",
    "family.quiet_help": "緊急のアラートは時間帯に関わらず届きます。空欄で解除。", "family.channels": "通知の方法",
    "family.others": "ほかに通知される人（区が設定します）",
    "presence.home": "在宅（見守りタグを自宅で検知）", "presence.not_home": "外出中（見守りタグを自宅で検知していません）", "presence.since": "から", "role.caseworker": "ケースワーカー", "role.oncall": "当番", "role.installer": "設置担当", "family.notfound": "この世帯は表示できません",
    "resident.title": "台東区 防災アプリ", "resident.language": "言語", "resident.large": "大きな文字", "resident.contrast": "ハイコントラスト",
    "resident.home": "自宅の場所", "resident.home_help": "地図をタップして自宅の場所を設定", "resident.live": "現在地を使う",
    "resident.push": "通知を受け取る", "resident.push_slot": "この端末では通知を受け取れません", "resident.alerts": "現在の警報",
    "resident.none": "現在、警報はありません", "resident.shelter": "最寄りの避難場所", "resident.safe": "無事です",
    "tab.alerts": "見守り", "tab.disaster": "災害", "layer.trackers": "外出中の位置", "tracker.outside": "安全エリアの外",
    "dis.area": "対象エリア", "dis.ward": "台東区全域", "dis.circle": "円（中心を地図でクリック）", "dis.polygon": "多角形（地図で頂点をクリック）",
    "dis.radius": "半径 (m)", "dis.clear": "エリアを消す", "dis.hazard": "災害の種類", "dis.severity": "深刻度", "dis.urgency": "緊急度",
    "dis.certainty": "確度", "dis.headline": "見出し（日本語）", "dis.instruction": "とるべき行動（日本語）", "dis.preview": "対象人数を確認",
    "dis.send": "送信する", "dis.residents": "住民（登録端末）", "dis.devices": "端末", "dis.watched": "見守り対象者",
    "dis.help_ward": "台東区全域に送ります。", "dis.help_circle": "地図をクリックして円の中心を決め、半径を入力してください。",
    "dis.help_polygon": "地図で3点以上クリックして範囲を囲んでください。", "dis.no_area": "先にエリアを決めて、対象人数を確認してください。",
    "dis.no_headline": "見出しを入力してください。", "dis.confirm": "この内容でエリア内の全員に送信します。よろしいですか？",
    "dis.sent": "送信しました。安否の回答を表示します。", "dis.pending": "下書きを保存しました。送信には別の職員の承認が必要です（承認待ち）。",
    "dis.safety": "安否の回答", "dis.safe": "無事", "dis.need_help": "助けが必要", "dis.no_answer": "未回答",
    "dis.watched_answered": "見守り対象者（回答/全体）", "dis.unanswered": "回答のない見守り対象者", "dis.all_answered": "全員が回答しました",
    "family.position": "現在地", "family.position_help": "アラートが対応中の間だけ、ご家族の現在地を表示します。",
    "family.position_closed": "現在地は、ご家族についてのアラートが対応中の間だけ表示できます。", "family.position_none": "位置情報がまだありません",
    "family.position_at": "時点", "dis.drafts": "承認待ちの警報", "dis.approve": "承認して送信",
    "dis.own_draft": "自分で作成した警報は承認できません。別の職員が承認します。",
    "resident.help": "助けが必要です", "resident.read": "読み上げ", "resident.sent": "送信しました", "resident.sw": "オフラインでも使えます",
    "rule.safe_zone_exit": "安全エリアから出た", "rule.left_home_at_night": "夜間に自宅を出た", "rule.not_back_by": "予定の時刻までに戻らない",
    "rule.tracker_no_fix": "外出中に位置が届かない", "rule.tag_battery_low": "位置情報端末の電池低下",
    "tab.zones": "安全エリア", "zone.person": "見守り対象者（位置情報端末）", "zone.none_trackers": "位置情報端末が登録された人はいません",
    "zone.list": "この人の安全エリア", "zone.empty": "安全エリアはまだありません", "zone.new_circle": "円を描く", "zone.new_polygon": "多角形を描く",
    "zone.title_new": "新しい安全エリア", "zone.title_edit": "安全エリアを編集", "zone.radius": "エリアの半径（メートル）",
    "zone.centre_here": "地図の中心を円の中心にする", "zone.add_point": "地図の中心に頂点を足す", "zone.undo": "最後の頂点を消す",
    "zone.finish": "多角形を閉じる", "zone.redraw_circle": "円で描き直す", "zone.redraw_polygon": "多角形で描き直す",
    "zone.name": "名前（例: 自宅、デイサービス、いつもの散歩道）", "zone.kind": "種類", "zone.kind.home": "自宅", "zone.kind.day_care": "デイサービス・施設",
    "zone.kind.walk": "いつもの散歩道", "zone.kind.other": "その他", "zone.hours": "見守る時間帯（空欄なら終日）", "zone.from": "開始", "zone.to": "終了",
    "zone.save": "保存", "zone.cancel": "やめる", "zone.edit": "編集", "zone.delete": "削除", "zone.show": "地図で見る", "zone.all_day": "終日",
    "zone.circle_of": "半径", "zone.polygon_of": "多角形", "zone.corners": "頂点",
    "zone.help_circle": "地図をクリックして円の中心を決め、もう一度クリックして半径を決めます（半径は数字でも入力できます）。中心の印はドラッグで動かせます。",
    "zone.help_polygon": "地図で頂点を順にクリックし、最後はダブルクリックか「多角形を閉じる」で仕上げます。頂点の印はドラッグで動かせます。辺の中ほどの小さな印をドラッグかクリックすると、そこに頂点が入ります。",
    "zone.help_closed": "形ができました。名前と時間帯を確かめて保存してください。辺の中ほどの小さな印をドラッグかクリックすると、そこに頂点が入ります（「地図の中心に頂点を足す」は一番近い辺に入れます）。",
    "zone.midpoint": "ここに頂点を足す（ドラッグかクリック）",
    "zone.confirm_delete": "この安全エリアを削除しますか？", "zone.saved": "保存しました", "zone.deleted": "削除しました",
    "zone.err.no_shape": "先に地図でエリアを描いてください。", "zone.err.no_name": "名前を入力してください。",
    "zone.err.hours_pair": "時間帯は開始と終了の両方を入れてください（終日なら両方空欄）。",
    "zone.err.self_intersecting": "多角形の辺が交差しています。頂点を順番にたどるように描き直してください。",
    "zone.err.radius_too_small": "半径が小さすぎます。GPSの誤差より小さいエリアは見守れません（30 m 以上）。",
    "zone.err.area_too_small": "エリアが小さすぎます。GPSの誤差より小さいエリアは見守れません（半径30 mの円以上）。",
    "zone.err.outside_area": "台東区から離れすぎています（区の境界から2 km以内に描いてください）。",
    "zone.err.other": "保存できませんでした",
  },
  en: {
    "app.title": "mimamori console", "login.title": "Log in", "login.user": "User name", "login.password": "Password",
    "login.submit": "Log in", "login.failed": "Wrong user name or password", "login.locked": "Too many failed attempts; please wait",
    "logout": "Log out", "lang.switch": "日本語", "alerts.open": "Open alerts", "alerts.none": "No open alerts",
    "alert.ack": "I'll handle it", "alert.resolve": "Resolve", "alert.assign": "Assign", "alert.note": "Note", "alert.acked_by": "Handled by",
    "alert.assigned": "Assigned to", "prompt.assign": "Assign to whom?", "prompt.note": "Note",
    "state.ok": "OK", "state.attention": "Attention", "state.alert": "Alert", "state.offline": "Offline",
    "sev.critical": "critical", "sev.high": "high", "sev.medium": "medium", "sev.low": "low",
    "rule.emergency_button": "Emergency button", "rule.inactivity": "No activity", "rule.gateway_offline": "Gateway offline",
    "rule.unusual_day": "Unusual day", "rule.heat_risk": "Heat risk", "rule.cold_risk": "Cold risk",
    "rule.night_wandering": "Out at night", "rule.sensor_silent": "Sensor silent", "rule.low_battery": "Low battery",
    "detail.title": "Household", "detail.person": "Person", "detail.contacts": "Contacts", "detail.devices": "Devices",
    "detail.events": "Recent events", "detail.battery": "Battery", "detail.last_seen": "Last seen", "detail.close": "Close",
    "chart.motion": "Motion per hour", "chart.temperature": "Temperature (°C)", "chart.wbgt": "WBGT (°C)", "chart.24h": "24 h", "chart.7d": "7 days",
    "chart.none": "no data",
    "layer.households": "Households", "layer.shelters": "Shelters", "layer.sites": "Emergency sites", "layer.boundary": "Ward boundary",
    "layer.safe_zones": "Safe zones", "layer.disaster": "Disaster areas",
    "live.connected": "Live", "live.lost": "Reconnecting…", "age.min": "min ago", "age.h": "h ago",
    "event.motion_detected": "motion", "event.door_opened": "door opened", "event.door_closed": "door closed", "event.button_pressed": "button",
    "hazard.flood": "flood", "hazard.landslide": "landslide", "hazard.storm_surge": "storm surge", "hazard.earthquake": "earthquake",
    "hazard.tsunami": "tsunami", "hazard.large_fire": "large fire", "hazard.inland_flood": "inland flood", "hazard.volcano": "volcano",
    "family.title": "Watching over your family", "family.history": "Past alerts", "family.settings": "Notification settings",
    "family.language": "Language", "family.active": "Receive notifications", "family.save": "Save", "family.saved": "Saved",
    "family.quiet": "Quiet hours", "family.quiet_start": "From", "family.quiet_end": "Until",
    "family.quiet_help": "Emergencies always reach you. Leave empty to turn off.", "family.channels": "Channels",
    "family.others": "Also notified (set by the ward)",
    "presence.home": "At home (tag heard at home)", "presence.not_home": "Out (tag not heard at home)", "presence.since": "since", "role.caseworker": "Caseworker", "role.oncall": "On call", "role.installer": "Installer", "family.notfound": "This household cannot be shown",
    "resident.title": "Taito City disaster app", "resident.language": "Language", "resident.large": "Large text", "resident.contrast": "High contrast",
    "resident.home": "Home location", "resident.home_help": "Tap the map to set your home", "resident.live": "Use my location",
    "resident.push": "Get notifications", "resident.push_slot": "Notifications are not available on this device", "resident.alerts": "Current alerts",
    "resident.none": "No alerts right now", "resident.shelter": "Nearest suitable shelter", "resident.safe": "I'm safe",
    "tab.alerts": "Watch", "tab.disaster": "Disaster", "layer.trackers": "People out (positions)", "tracker.outside": "outside the safe zones",
    "dis.area": "Area", "dis.ward": "All of Taito City", "dis.circle": "Circle (click its centre on the map)", "dis.polygon": "Polygon (click its corners on the map)",
    "dis.radius": "Radius (m)", "dis.clear": "Clear the area", "dis.hazard": "Hazard", "dis.severity": "Severity", "dis.urgency": "Urgency",
    "dis.certainty": "Certainty", "dis.headline": "Headline (Japanese)", "dis.instruction": "What to do (Japanese)", "dis.preview": "Count who it reaches",
    "dis.send": "Send", "dis.residents": "Residents (registered devices)", "dis.devices": "Devices", "dis.watched": "Watched people",
    "dis.help_ward": "Sends to all of Taito City.", "dis.help_circle": "Click the map for the centre, then type the radius.",
    "dis.help_polygon": "Click three or more corners on the map.", "dis.no_area": "Choose the area and count who it reaches first.",
    "dis.no_headline": "Type a headline.", "dis.confirm": "Send this to everyone in the area?",
    "dis.sent": "Sent. Safety answers show below.", "dis.pending": "Saved as a draft: a second person must approve it before it is sent (awaiting approval).",
    "dis.safety": "Safety answers", "dis.safe": "Safe", "dis.need_help": "Need help", "dis.no_answer": "No answer",
    "dis.watched_answered": "Watched people (answered/all)", "dis.unanswered": "Watched people not heard from", "dis.all_answered": "Everyone has answered",
    "family.position": "Where they are", "family.position_help": "Shown only while an alert about your relative is open.",
    "family.position_closed": "The position is shown only while an alert about your relative is open.", "family.position_none": "No position yet",
    "family.position_at": "as of", "dis.drafts": "Alerts awaiting approval", "dis.approve": "Approve and send",
    "dis.own_draft": "You cannot approve an alert you wrote: another member of staff approves it.",
    "resident.help": "I need help", "resident.read": "Read aloud", "resident.sent": "Sent", "resident.sw": "Works offline",
    "rule.safe_zone_exit": "Left the safe zone", "rule.left_home_at_night": "Left home at night", "rule.not_back_by": "Not back in time",
    "rule.tracker_no_fix": "No position while out", "rule.tag_battery_low": "Tracker battery low",
    "tab.zones": "Safe zones", "zone.person": "Person (tracker)", "zone.none_trackers": "Nobody has a tracker registered",
    "zone.list": "This person's safe zones", "zone.empty": "No safe zones yet", "zone.new_circle": "Draw a circle", "zone.new_polygon": "Draw a polygon",
    "zone.title_new": "New safe zone", "zone.title_edit": "Edit safe zone", "zone.radius": "Zone radius in metres",
    "zone.centre_here": "Put the centre at the map's centre", "zone.add_point": "Add a corner at the map's centre", "zone.undo": "Remove the last corner",
    "zone.finish": "Close the polygon", "zone.redraw_circle": "Redraw as a circle", "zone.redraw_polygon": "Redraw as a polygon",
    "zone.name": "Name (e.g. home, day care, usual walk)", "zone.kind": "Kind", "zone.kind.home": "Home", "zone.kind.day_care": "Day care",
    "zone.kind.walk": "Usual walk", "zone.kind.other": "Other", "zone.hours": "Active hours (empty: all day)", "zone.from": "From", "zone.to": "Until",
    "zone.save": "Save", "zone.cancel": "Cancel", "zone.edit": "Edit", "zone.delete": "Delete", "zone.show": "Show on map", "zone.all_day": "all day",
    "zone.circle_of": "radius", "zone.polygon_of": "polygon", "zone.corners": "corners",
    "zone.help_circle": "Click the map for the centre, click again for the radius (or type it). Drag the centre mark to move it.",
    "zone.help_polygon": "Click the corners in order; double-click or press “Close the polygon” to finish. Drag a corner mark to move it; drag or click the small mark in the middle of an edge to add a corner there.",
    "zone.help_closed": "The shape is ready. Check the name and hours, then save. Drag or click the small mark in the middle of an edge to add a corner there (“Add a corner at the map's centre” adds it to the nearest edge).",
    "zone.midpoint": "Add a corner here (drag or click)",
    "zone.confirm_delete": "Delete this safe zone?", "zone.saved": "Saved", "zone.deleted": "Deleted",
    "zone.err.no_shape": "Draw the zone on the map first.", "zone.err.no_name": "Type a name.",
    "zone.err.hours_pair": "Give both the start and the end of the hours (or neither for all day).",
    "zone.err.self_intersecting": "The polygon's edges cross. Redraw it, clicking the corners in order around the area.",
    "zone.err.radius_too_small": "The radius is too small: a zone smaller than GPS accuracy cannot be watched (30 m or more).",
    "zone.err.area_too_small": "The zone is too small: a zone smaller than GPS accuracy cannot be watched (at least a 30 m circle).",
    "zone.err.outside_area": "Too far from Taito City (draw it within 2 km of the ward's boundary).",
    "zone.err.other": "Could not save",
  },
};
const mm = {
  lang: localStorage.getItem("mimamori.lang") || "ja",
  // pages are written in Japanese and English; other languages read the English (easy Japanese the Japanese)
  t(key) {
    const catalogue = MESSAGES[mm.lang] || (mm.lang.startsWith("ja") ? MESSAGES.ja : MESSAGES.en);
    return catalogue[key] || MESSAGES.ja[key] || key;
  },
  setLang(lang) {
    mm.lang = lang; localStorage.setItem("mimamori.lang", lang); document.documentElement.lang = lang; mm.translate();
  },
  translate(root = document) {
    root.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = mm.t(el.dataset.i18n); });
    root.querySelectorAll("[data-i18n-label]").forEach((el) => { el.setAttribute("aria-label", mm.t(el.dataset.i18nLabel)); });
  },
  csrf() {
    const match = document.cookie.match(/(?:^|; )mimamori_csrf=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  },
  async api(path, options = {}) {
    const headers = { "Accept": "application/json", ...(options.headers || {}) };
    if (options.body !== undefined) headers["Content-Type"] = "application/json";
    if (options.method && options.method !== "GET") headers["X-CSRF-Token"] = mm.csrf();
    const response = await fetch("/api/v1" + path, {
      ...options, headers, credentials: "same-origin",
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    mm.syncClock(response);
    if (response.status === 401 && !location.pathname.endsWith("login.html")) {
      location.href = "/web/login.html?next=" + encodeURIComponent(location.pathname + location.search + location.hash);
      throw new Error("not logged in");
    }
    if (!response.ok) {
      const error = new Error(response.status + " " + path); error.status = response.status;
      // the server's reason (a string, a {code, message}, or the list of a validation error) for the page to show
      try { error.detail = (await response.json()).detail; } catch (ignored) { error.detail = null; }
      throw error;
    }
    return response.status === 204 ? null : response.json();
  },
  // The server's clock, from the X-Clock-Now and X-Clock-Rate headers of its last answer: ages
  // ("5 min ago") count from it, not from this browser's clock, which may be off, and which in the
  // demo is hours behind the server's accelerated time (rate: server seconds per wall second).
  clock: { server: null, wall: 0, rate: 1 },
  syncClock(response) {
    const server = Date.parse(response.headers.get("X-Clock-Now") || "");
    if (Number.isNaN(server)) return;
    const rate = Number(response.headers.get("X-Clock-Rate") || "1");
    mm.clock = { server, wall: Date.now(), rate: Number.isFinite(rate) && rate >= 0 ? rate : 1 };
  },
  now() {
    const clock = mm.clock;
    return clock.server === null ? Date.now() : clock.server + (Date.now() - clock.wall) * clock.rate;
  },
  stream(onAlert, onState) {
    // EventSource reconnects by itself (the server asks for 1 s), also after a server restart
    const source = new EventSource("/api/v1/stream");
    source.addEventListener("alert", (event) => onAlert(JSON.parse(event.data)));
    source.onopen = () => onState(true);
    source.onerror = () => onState(false);
    return source;
  },
  tokyoTime(iso, withDate = false) {
    const options = { timeZone: "Asia/Tokyo", hour: "2-digit", minute: "2-digit", hour12: false };
    if (withDate) { options.month = "2-digit"; options.day = "2-digit"; }
    return new Intl.DateTimeFormat(mm.lang === "en" ? "en-GB" : "ja-JP", options).format(new Date(iso));
  },
  // "at home — since 22:30" of a tracker's BLE tag, or "" before the gateway's first report
  presenceText(presence) {
    if (!presence) return "";
    const since = mm.lang === "ja" ? `${presence.since_local}${mm.t("presence.since")}` : `${mm.t("presence.since")} ${presence.since_local}`;
    return `${mm.t("presence." + presence.state)} — ${since}`;
  },
  esc(text) { const div = document.createElement("div"); div.textContent = text == null ? "" : String(text); return div.innerHTML; },
};
document.documentElement.lang = mm.lang;
