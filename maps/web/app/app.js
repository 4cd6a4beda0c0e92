// The resident app: language, accessibility, home location, Web Push, alerts with the nearest shelter.
"use strict";
// The resident device API (cloud/api/routes/residents.py, disaster.py). The device registers
// anonymously and from then on carries its own bearer token: it sees only itself.
const RESIDENT_API = {
  register: "/api/v1/residents/devices",            // POST {language, home} -> {token, device}
  me: "/api/v1/residents/devices/me",               // PATCH {language, home, webpush}
  vapidKey: "/api/v1/disaster/public/webpush/key",  // GET {public_key}; 503 when Web Push is off
  alerts: "/api/v1/residents/devices/me/alerts",    // GET the alerts sent to this device
  shelter: (hazard) => `/api/v1/residents/devices/me/shelter${hazard ? `?hazard=${hazard}` : ""}`,  // GET the nearest shelter
  answer: (id) => `/api/v1/residents/devices/me/alerts/${id}/answer`,  // POST {answer: safe | need_help}
};
let currentAlerts = [];
const prefs = JSON.parse(localStorage.getItem("mimamori.resident") || "{}");
let map, homeMarker, shelters = [];

function save() { localStorage.setItem("mimamori.resident", JSON.stringify(prefs)); }
function applyPrefs() {
  document.body.classList.toggle("large", !!prefs.large);
  document.body.classList.toggle("contrast", !!prefs.contrast);
  document.getElementById("large").checked = !!prefs.large;
  document.getElementById("contrast").checked = !!prefs.contrast;
  document.getElementById("language").value = mm.lang;
}
async function deviceFetch(path, options = {}) {
  const headers = { "Content-Type": "application/json", ...(prefs.token ? { Authorization: "Bearer " + prefs.token } : {}) };
  const response = await fetch(path, { ...options, headers });
  if (!response.ok) { const error = new Error(String(response.status)); error.status = response.status; throw error; }
  return response.status === 204 ? null : response.json();
}
async function ensureDevice() {
  if (prefs.token) return;
  const registered = await deviceFetch(RESIDENT_API.register, { method: "POST",
    body: JSON.stringify({ language: mm.lang, home: prefs.home || null }) });
  prefs.token = registered.token; save();
}
function setHome(lat, lon) {
  prefs.home = { lat, lon }; save();
  const saved = prefs.token
    ? deviceFetch(RESIDENT_API.me, { method: "PATCH", body: JSON.stringify({ home: prefs.home }) }).catch(() => {})
    : Promise.resolve();
  if (homeMarker) homeMarker.setLatLng([lat, lon]); else homeMarker = L.marker([lat, lon], { title: mm.t("resident.home"), alt: mm.t("resident.home") }).addTo(map);
  saved.then(() => showNearestShelter());
}
// The server measures the distance (EPSG:6677) and rounds it as alert texts do, so the app never shows a second figure.
async function showNearestShelter(hazard) {
  if (!prefs.token || !prefs.home) return;
  try {
    const found = await deviceFetch(RESIDENT_API.shelter(hazard));
    document.getElementById("shelter").textContent = `${mm.t("resident.shelter")}: ${found.shelter}（${found.distance_text}）`;
  } catch (error) { /* offline or no shelter: nothing to show */ }
}
function showAlerts(alerts) {
  // expired and cancelled alerts are over: the server says which are still in force
  currentAlerts = alerts.filter((a) => a.active);
  alerts = currentAlerts;
  // the answer buttons only mean something while an alert is on
  document.querySelector(".answers").hidden = !alerts.length;
  if (alerts.some((a) => a.shelter)) document.getElementById("shelter").textContent = "";
  const list = document.getElementById("alerts");
  list.innerHTML = alerts.length ? "" : `<li style="border:0;background:none">${mm.esc(mm.t("resident.none"))}</li>`;
  for (const alert of alerts) {
    const li = document.createElement("li");
    const shelter = alert.shelter ? `<p class="shelter">${mm.esc(mm.t("resident.shelter"))}: ${mm.esc(alert.shelter)}${alert.shelter_distance_text ? `（${mm.esc(alert.shelter_distance_text)}）` : ""}</p>` : "";
    li.innerHTML = `<strong>${mm.esc(alert.title)}</strong><p>${mm.esc(alert.body || "")}</p>${shelter}<button type="button" class="secondary read">${mm.esc(mm.t("resident.read"))}</button>`;
    li.querySelector(".read").onclick = () => {
      const speech = new SpeechSynthesisUtterance(`${alert.title}。${alert.body || ""}`);
      speech.lang = mm.lang === "en" ? "en-US" : "ja-JP";
      speechSynthesis.cancel(); speechSynthesis.speak(speech);
    };
    list.appendChild(li);
  }
}
async function loadAlerts() {
  if (!prefs.token) { showAlerts([]); return; }
  try { showAlerts(await deviceFetch(RESIDENT_API.alerts)); } catch (error) { showAlerts([]); }
}
async function subscribePush() {
  const status = document.getElementById("push-status");
  try {
    await ensureDevice();
    const { public_key } = await deviceFetch(RESIDENT_API.vapidKey);
    const registration = await navigator.serviceWorker.ready;
    const key = Uint8Array.from(atob(public_key.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));
    const subscription = await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
    await deviceFetch(RESIDENT_API.me, { method: "PATCH", body: JSON.stringify({ webpush: subscription.toJSON() }) });
    status.textContent = "✓";
  } catch (error) {
    status.textContent = mm.t("resident.push_slot");
  }
}
async function answer(value) {
  const status = document.getElementById("answer-status");
  const alert = currentAlerts[0];
  if (!alert) return;
  try { await deviceFetch(RESIDENT_API.answer(alert.alert_id), { method: "POST", body: JSON.stringify({ answer: value }) }); status.textContent = mm.t("resident.sent"); }
  catch (error) { status.textContent = String(error.message); }
}
async function start() {
  mm.translate(); applyPrefs();
  document.getElementById("language").onchange = (event) => {
    mm.setLang(event.target.value); applyPrefs();
    // alerts are composed by the server in the device's language
    if (prefs.token) deviceFetch(RESIDENT_API.me, { method: "PATCH", body: JSON.stringify({ language: mm.lang }) }).then(() => { loadAlerts(); showNearestShelter(); }).catch(() => {});
  };
  document.getElementById("large").onchange = (event) => { prefs.large = event.target.checked; save(); applyPrefs(); };
  document.getElementById("contrast").onchange = (event) => { prefs.contrast = event.target.checked; save(); applyPrefs(); };
  document.getElementById("push").onclick = subscribePush;
  document.getElementById("safe").onclick = () => answer("safe");
  document.getElementById("help").onclick = () => answer("need_help");
  document.getElementById("live").onclick = () => navigator.geolocation.getCurrentPosition((p) => setHome(p.coords.latitude, p.coords.longitude));
  map = L.map("map").setView([35.7126, 139.78], 14);
  L.tileLayer("https://cyberjapandata.gsi.go.jp/xyz/std/{z}/{x}/{y}.png",
    { maxZoom: 18, attribution: '<a href="https://maps.gsi.go.jp/development/ichiran.html">地理院タイル</a> / 出典：国土地理院 指定緊急避難場所データ' }).addTo(map);
  map.on("click", (event) => setHome(event.latlng.lat, event.latlng.lng));
  try {
    const response = await fetch("/web/app/shelters.geojson");
    if (response.ok) shelters = (await response.json()).features;
  } catch (error) { /* offline without a cached copy: no shelter shown */ }
  for (const s of shelters) { const [lon, lat] = s.geometry.coordinates;
    L.circleMarker([lat, lon], { radius: 5, color: "#065f46" }).bindPopup(mm.esc(s.properties.name)).addTo(map); }
  if (prefs.home) setHome(prefs.home.lat, prefs.home.lon);
  if ("serviceWorker" in navigator) {
    await navigator.serviceWorker.register("/web/app/sw.js", { scope: "/web/app/" });
    document.getElementById("sw-status").textContent = mm.t("resident.sw");
    navigator.serviceWorker.addEventListener("message", (event) => { if (event.data && event.data.type === "alert") loadAlerts(); });
  }
  try { await ensureDevice(); showNearestShelter(); } catch (error) { /* offline: registers on the next start */ }
  loadAlerts();
  setInterval(loadAlerts, 30000);
}
start();
