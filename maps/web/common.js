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
    "family.quiet_help": "緊急のアラートは時間帯に関わらず届きます。空欄で解除。", "family.channels": "通知の方法", "family.notfound": "この世帯は表示できません",
    "resident.title": "台東区 防災アプリ", "resident.language": "言語", "resident.large": "大きな文字", "resident.contrast": "ハイコントラスト",
    "resident.home": "自宅の場所", "resident.home_help": "地図をタップして自宅の場所を設定", "resident.live": "現在地を使う",
    "resident.push": "通知を受け取る", "resident.push_slot": "この端末では通知を受け取れません", "resident.alerts": "現在の警報",
    "resident.none": "現在、警報はありません", "resident.shelter": "最寄りの避難場所", "resident.safe": "無事です",
    "resident.help": "助けが必要です", "resident.read": "読み上げ", "resident.sent": "送信しました", "resident.sw": "オフラインでも使えます",
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
    "family.quiet_help": "Emergencies always reach you. Leave empty to turn off.", "family.channels": "Channels", "family.notfound": "This household cannot be shown",
    "resident.title": "Taito City disaster app", "resident.language": "Language", "resident.large": "Large text", "resident.contrast": "High contrast",
    "resident.home": "Home location", "resident.home_help": "Tap the map to set your home", "resident.live": "Use my location",
    "resident.push": "Get notifications", "resident.push_slot": "Notifications are not available on this device", "resident.alerts": "Current alerts",
    "resident.none": "No alerts right now", "resident.shelter": "Nearest suitable shelter", "resident.safe": "I'm safe",
    "resident.help": "I need help", "resident.read": "Read aloud", "resident.sent": "Sent", "resident.sw": "Works offline",
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
    if (response.status === 401 && !location.pathname.endsWith("login.html")) {
      location.href = "/web/login.html?next=" + encodeURIComponent(location.pathname + location.search + location.hash);
      throw new Error("not logged in");
    }
    if (!response.ok) { const error = new Error(response.status + " " + path); error.status = response.status; throw error; }
    return response.status === 204 ? null : response.json();
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
  esc(text) { const div = document.createElement("div"); div.textContent = text == null ? "" : String(text); return div.innerHTML; },
};
document.documentElement.lang = mm.lang;
