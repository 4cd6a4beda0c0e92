// The caseworkers' console: the map of households, the open alerts, the household detail, live updates.
"use strict";
const SEVERITY_RANK = { critical: 0, high: 1, medium: 2, low: 3 };
const state = { alerts: new Map(), households: new Map(), markers: new Map(), range: "24h", detail: null, notes: new Map() };
let map, householdLayer, zoneLayer, trackerLayer, disasterLayer;

async function start() {
  mm.translate();
  setUpTabs();
  const me = await mm.api("/auth/me");
  document.getElementById("who").textContent = me.actor;
  document.getElementById("lang").onclick = () => { mm.setLang(mm.lang === "ja" ? "en" : "ja"); renderAlerts(); renderMarkers(); };
  document.getElementById("logout").onclick = async () => { await mm.api("/auth/logout", { method: "POST" }); location.href = "/web/login.html"; };
  document.getElementById("detail-close").onclick = () => { document.getElementById("detail").hidden = true; state.detail = null; };
  document.querySelectorAll("[data-range]").forEach((button) => button.onclick = () => {
    state.range = button.dataset.range;
    document.querySelectorAll("[data-range]").forEach((b) => b.classList.toggle("secondary", b !== button));
    if (state.detail) loadCharts(state.detail);
  });
  await setUpMap();
  if (typeof setUpDisaster === "function") setUpDisaster();
  await Promise.all([loadHouseholds(), loadAlerts(), loadZones()]);
  if (typeof setUpZones === "function") setUpZones();
  mm.stream(onAlert, (connected) => {
    const live = document.getElementById("live");
    live.textContent = mm.t(connected ? "live.connected" : "live.lost");
    live.classList.toggle("lost", !connected);
    // after a reconnect the stream only carries what changes next: catch up once
    if (connected) { loadAlerts(); loadHouseholds(); }
  });
  setInterval(renderAlerts, 60000);  // ages ("5 min ago") move on
}

async function setUpMap() {
  map = L.map("map", { preferCanvas: false }).setView([35.7126, 139.7800], 14);
  const layers = await mm.api("/map/layers");
  const overlays = {};
  if (layers.tiles.url) {
    L.tileLayer(layers.tiles.url, { maxZoom: 18, attribution: layers.tiles.attribution }).addTo(map);
  }
  map.attributionControl.addAttribution(mm.esc(layers.credits));
  const boundary = L.geoJSON(layers.boundary, { style: { color: "#1d4ed8", weight: 3, fill: false } }).addTo(map);
  map.fitBounds(boundary.getBounds());
  const shelterLayer = L.layerGroup(), siteLayer = L.layerGroup();
  for (const feature of layers.shelters.features) {
    const [lon, lat] = feature.geometry.coordinates, p = feature.properties;
    const emergency = p.kind === "emergency_site";
    const hazards = p.hazards.map((h) => mm.t("hazard." + h)).join("・");
    L.circleMarker([lat, lon], { radius: 6, color: emergency ? "#065f46" : "#1e40af", fillOpacity: .7, weight: 1 })
      .bindPopup(`<strong>${mm.esc(p.name)}</strong><br>${mm.esc(p.address)}${hazards ? "<br>" + mm.esc(hazards) : ""}${p.remarks ? "<br><small>" + mm.esc(p.remarks) + "</small>" : ""}`)
      .addTo(emergency ? siteLayer : shelterLayer);
  }
  householdLayer = L.layerGroup().addTo(map);
  overlays[mm.t("layer.households")] = householdLayer;
  overlays[mm.t("layer.shelters")] = shelterLayer;
  overlays[mm.t("layer.sites")] = siteLayer.addTo(map);
  overlays[mm.t("layer.boundary")] = boundary;
  zoneLayer = L.layerGroup().addTo(map);
  trackerLayer = L.layerGroup();
  overlays[mm.t("layer.safe_zones")] = zoneLayer;
  overlays[mm.t("layer.trackers")] = trackerLayer;
  disasterLayer = L.geoJSON(layers.disaster_areas, { style: { color: "#c0122c", className: "disaster-area" } }).addTo(map);
  overlays[mm.t("layer.disaster")] = disasterLayer;
  L.control.layers(null, overlays, { collapsed: true }).addTo(map);
  // a position is a location view (audited once per view): streamed only while the layer is on
  map.on("overlayadd", (event) => { if (event.layer === trackerLayer) watchPositions(); });
  map.on("overlayremove", (event) => { if (event.layer === trackerLayer) stopPositions(); });
}

function setUpTabs() {
  const tabs = [...document.querySelectorAll("[role=tab]")];
  for (const tab of tabs) tab.onclick = () => {
    for (const other of tabs) {
      const selected = other === tab;
      other.setAttribute("aria-selected", String(selected));
      other.classList.toggle("secondary", !selected);
      document.getElementById(other.getAttribute("aria-controls")).hidden = !selected;
    }
  };
}

async function loadZones() {
  state.trackers = await mm.api("/trackers");
  state.zones = new Map();
  state.zoneShapes = new Map();
  zoneLayer.clearLayers();
  for (const tracker of state.trackers) {
    const zones = await mm.api(`/trackers/${encodeURIComponent(tracker.id)}/zones`);
    state.zones.set(tracker.id, zones);
    const household = state.households.get(tracker.household_id);
    for (const zone of zones) {
      const hours = zone.active_from ? ` ${zone.active_from}–${zone.active_to}` : "";
      const shape = L.geoJSON(zone.geojson, { style: { color: "#7c3aed", weight: 2, fillOpacity: .08, className: "safe-zone" } })
        .bindPopup(`<strong>${mm.esc(zone.name)}</strong>${mm.esc(hours)}<br>${mm.esc(tracker.label || tracker.id)}${household ? " — " + mm.esc(household.person) : ""}`)
        .addTo(zoneLayer);
      state.zoneShapes.set(zone.id, shape);
    }
  }
  if (typeof renderZoneList === "function") renderZoneList(false);
}

let positionStream = null;
const positionMarkers = new Map();

function watchPositions() {
  stopPositions();
  // pushed as fixes arrive; the server writes one audit row per person when the view opens
  positionStream = new EventSource("/api/v1/stream/positions");
  positionStream.addEventListener("position", (event) => showPosition(JSON.parse(event.data)));
  positionStream.addEventListener("closed", (event) => {
    const { tracker_id } = JSON.parse(event.data);
    const marker = positionMarkers.get(tracker_id);
    if (marker) { trackerLayer.removeLayer(marker); positionMarkers.delete(tracker_id); }
  });
}

function stopPositions() {
  if (positionStream) { positionStream.close(); positionStream = null; }
  trackerLayer.clearLayers();
  positionMarkers.clear();
}

function showPosition(fix) {
  const tracker = (state.trackers || []).find((t) => t.id === fix.tracker_id) || { id: fix.tracker_id };
  const outside = fix.outside === true;
  const label = `${tracker.label || tracker.id} — ${mm.tokyoTime(fix.ts, true)}${outside ? " · " + mm.t("tracker.outside") : ""}`;
  const icon = L.divIcon({ className: "", html: `<div class="tracker-marker${outside ? " outside" : ""}" data-tracker="${mm.esc(fix.tracker_id)}"></div>`, iconSize: [14, 14] });
  let marker = positionMarkers.get(fix.tracker_id);
  if (!marker) {
    marker = L.marker([fix.lat, fix.lon], { icon, title: label, alt: label }).bindPopup(mm.esc(label)).addTo(trackerLayer);
    positionMarkers.set(fix.tracker_id, marker);
  } else {
    marker.setLatLng([fix.lat, fix.lon]).setIcon(icon).setPopupContent(mm.esc(label));
    if (marker.getElement()) marker.getElement().title = label;
  }
}

async function loadHouseholds() {
  const households = await mm.api("/map/households");
  state.households = new Map(households.map((h) => [h.id, h]));
  renderMarkers();
}

function renderMarkers() {
  for (const household of state.households.values()) {
    if (household.lat == null || household.lon == null) continue;
    const icon = L.divIcon({ className: "", html: `<div class="hh-marker ${household.state}" data-household="${mm.esc(household.id)}" data-state="${household.state}"></div>`, iconSize: [20, 20] });
    const label = `${household.person} (${household.name}) — ${mm.t("state." + household.state)}`;
    let marker = state.markers.get(household.id);
    if (!marker) {
      marker = L.marker([household.lat, household.lon], { icon, title: label, alt: label, keyboard: true }).addTo(householdLayer);
      marker.on("click", () => openDetail(household.id));
      state.markers.set(household.id, marker);
    } else {
      marker.setIcon(icon);
      marker.options.title = label;
    }
  }
}

async function loadAlerts() {
  const alerts = await mm.api("/alerts?state=active&limit=500");
  state.alerts = new Map(alerts.map((a) => [a.id, a]));
  renderAlerts();
}

function onAlert(alert) {
  if (alert.state === "resolved") state.alerts.delete(alert.id); else state.alerts.set(alert.id, alert);
  renderAlerts();
  loadHouseholds();
  if (state.detail === alert.household_id) openDetail(alert.household_id, false);
}

function age(iso) {
  // from the server's now: in the demo, simulated time runs far ahead of this browser's clock
  const minutes = Math.max(0, Math.round((mm.now() - new Date(iso).getTime()) / 60000));
  return minutes < 120 ? `${minutes} ${mm.t("age.min")}` : `${Math.round(minutes / 60)} ${mm.t("age.h")}`;
}

function renderAlerts() {
  const list = document.getElementById("alerts");
  // the most severe first; among equals the oldest first (it has waited longest)
  const alerts = [...state.alerts.values()].sort((a, b) =>
    (a.state === "open" ? 0 : 1) - (b.state === "open" ? 0 : 1) ||
    (SEVERITY_RANK[a.severity] ?? 9) - (SEVERITY_RANK[b.severity] ?? 9) || a.opened_at.localeCompare(b.opened_at));
  document.getElementById("alert-count").textContent = alerts.length ? `(${alerts.length})` : "";
  list.innerHTML = alerts.length ? "" : `<li class="empty">${mm.esc(mm.t("alerts.none"))}</li>`;
  for (const alert of alerts) {
    const household = state.households.get(alert.household_id);
    const who = household ? `${household.person}（${household.address || household.name}）` : alert.household_id;
    const item = document.createElement("li");
    item.className = `sev-${alert.severity} ${alert.state}`;
    item.dataset.alertId = alert.id;
    item.innerHTML = `<div class="title"><span class="badge sev-${alert.severity}">${mm.esc(mm.t("sev." + alert.severity))}</span> ${mm.esc(mm.t("rule." + alert.rule))}</div>
      <div><button type="button" class="link open-detail">${mm.esc(who)}</button></div>
      <div class="meta">${mm.esc(mm.tokyoTime(alert.opened_at, true))} · ${mm.esc(age(alert.opened_at))}${alert.acknowledged_by ? ` · ${mm.esc(mm.t("alert.acked_by"))}: <span class="acked-by">${mm.esc(alert.acknowledged_by)}</span>` : ""}</div>
      <div class="actions">
        ${alert.state === "open" ? `<button type="button" class="ack">${mm.esc(mm.t("alert.ack"))}</button>` : ""}
        <button type="button" class="secondary resolve">${mm.esc(mm.t("alert.resolve"))}</button>
        <button type="button" class="secondary assign">${mm.esc(mm.t("alert.assign"))}</button>
        <button type="button" class="secondary note">${mm.esc(mm.t("alert.note"))}</button>
      </div>`;
    item.querySelector(".open-detail").onclick = () => openDetail(alert.household_id);
    const act = (path, body) => mm.api(`/alerts/${alert.id}/${path}`, { method: "POST", body }).then((updated) => {
      if (updated && updated.state) onAlert(updated);
    }).catch((error) => { if (error.status === 409) loadAlerts(); else throw error; });
    const ack = item.querySelector(".ack");
    if (ack) ack.onclick = () => act("acknowledge", {});
    item.querySelector(".resolve").onclick = () => act("resolve", {});
    item.querySelector(".assign").onclick = () => { const to = prompt(mm.t("prompt.assign")); if (to) act("assign", { to }); };
    item.querySelector(".note").onclick = () => { const text = prompt(mm.t("prompt.note")); if (text) act("notes", { text }); };
    list.appendChild(item);
  }
}

async function openDetail(householdId, focus = true) {
  state.detail = householdId;
  const section = document.getElementById("detail");
  const [household, summary, devices, contacts, events] = await Promise.all([
    mm.api(`/households/${encodeURIComponent(householdId)}`),
    mm.api(`/households/${encodeURIComponent(householdId)}/summary?language=${mm.lang}`),
    mm.api(`/households/${encodeURIComponent(householdId)}/devices`),
    mm.api(`/households/${encodeURIComponent(householdId)}/contacts`),
    mm.api(`/households/${encodeURIComponent(householdId)}/events?hours=24&limit=30`),
  ]);
  const person = household.people[0] ? household.people[0].name : household.name;
  document.getElementById("detail-title").textContent = `${person} — ${household.address || household.name}`;
  const summaryEl = document.getElementById("detail-summary");
  summaryEl.textContent = summary.sentence;
  summaryEl.className = "state-" + summary.state;
  document.getElementById("devices").innerHTML = `<tr><th>ID</th><th>${mm.esc(mm.t("detail.battery"))}</th><th>${mm.esc(mm.t("detail.last_seen"))}</th></tr>` +
    devices.map((d) => `<tr><td>${mm.esc(d.device_id)}${d.room ? " (" + mm.esc(d.room) + ")" : ""}</td><td>${d.battery_pct == null ? "—" : Math.round(d.battery_pct) + "%"}</td><td>${d.last_seen_at ? mm.esc(mm.tokyoTime(d.last_seen_at, true)) : "—"}</td></tr>`).join("");
  document.getElementById("contacts").innerHTML = contacts.map((c) => `<li>${mm.esc(c.name)} ${c.relation ? "(" + mm.esc(c.relation) + ")" : ""} — ${mm.esc(c.channels.join(", "))}</li>`).join("");
  document.getElementById("events").innerHTML = events.map((e) => `<li>${mm.esc(mm.tokyoTime(e.ts))} ${mm.esc(mm.t("event." + e.kind))}${e.room ? " · " + mm.esc(e.room) : ""}</li>`).join("");
  section.hidden = false;
  if (focus) document.getElementById("detail-title").scrollIntoView({ block: "nearest" });
  loadCharts(householdId);
}

async function loadCharts(householdId) {
  const charts = await mm.api(`/households/${encodeURIComponent(householdId)}/charts?range=${state.range}`);
  drawChart("chart-motion", charts.motion_per_hour, { bars: true, color: "#1d4ed8" });
  drawChart("chart-temperature", charts.temperature_c, { color: "#b45309" });
  drawChart("chart-wbgt", charts.wbgt_c, { color: "#c0122c" });
}

function drawChart(id, points, { bars = false, color }) {
  const el = document.getElementById(id);
  if (!points.length) { el.innerHTML = `<p class="meta">${mm.esc(mm.t("chart.none"))}</p>`; return; }
  const width = 400, height = 90, pad = 14;
  const values = points.map((p) => p.value), max = Math.max(...values, 1), min = bars ? 0 : Math.min(...values);
  const x = (i) => pad + (i * (width - 2 * pad)) / Math.max(points.length - 1, 1);
  const y = (v) => height - pad - ((v - min) / Math.max(max - min, 0.1)) * (height - 2 * pad);
  const shapes = bars
    ? points.map((p, i) => `<rect x="${x(i) - 3}" y="${y(p.value)}" width="6" height="${height - pad - y(p.value)}" fill="${color}"></rect>`).join("")
    : `<polyline fill="none" stroke="${color}" stroke-width="2" points="${points.map((p, i) => `${x(i)},${y(p.value)}`).join(" ")}"></polyline>`;
  const first = mm.tokyoTime(points[0].ts, true), last = mm.tokyoTime(points[points.length - 1].ts, true);
  el.innerHTML = `<svg viewBox="0 0 ${width} ${height}" role="img" aria-label="${mm.esc(mm.t(id === "chart-motion" ? "chart.motion" : id === "chart-wbgt" ? "chart.wbgt" : "chart.temperature"))}: ${mm.esc(first)}–${mm.esc(last)}, max ${max.toFixed(1)}">
    ${shapes}<text x="${pad}" y="11" font-size="10" fill="#374151">${max.toFixed(bars ? 0 : 1)}</text>
    <text x="${pad}" y="${height - 2}" font-size="10" fill="#374151">${mm.esc(first)}</text>
    <text x="${width - pad}" y="${height - 2}" font-size="10" text-anchor="end" fill="#374151">${mm.esc(last)}</text></svg>`;
}

start();
