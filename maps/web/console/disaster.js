// The console's disaster tab: draw an area, count who it reaches, send, watch the safety answers.
"use strict";
const HAZARDS = ["earthquake", "flood", "inland_flood", "storm_surge", "tsunami", "large_fire", "landslide", "volcano"];
const WARD = "13106";  // 台東区
// the ward lies along the Sumida, where a flood is the alert sent most: a new alert starts on it,
// and an operator's own choice stays for the alerts after it (the list is refilled on a language switch)
const DEFAULT_HAZARD = "flood";
const drawing = { points: [], centre: null, shape: null, previewed: false, safety: null };

function setUpDisaster() {
  const hazard = document.getElementById("dis-hazard");
  const fillHazards = () => {
    const chosen = hazard.value || DEFAULT_HAZARD;
    hazard.innerHTML = HAZARDS.map((h) => `<option value="${h}">${mm.esc(mm.t("hazard." + h))}</option>`).join("");
    hazard.value = chosen;
  };
  fillHazards();
  document.getElementById("lang").addEventListener("click", () => { fillHazards(); areaHelp(); });
  document.querySelectorAll("[name=area-mode]").forEach((radio) => radio.onchange = () => { clearArea(); areaHelp(); });
  document.getElementById("dis-radius").oninput = () => { drawShape(); areaChanged(); };
  document.getElementById("dis-clear").onclick = () => { clearArea(); areaHelp(); };
  document.getElementById("dis-preview").onclick = preview;
  document.getElementById("disaster-form").onsubmit = (event) => { event.preventDefault(); send(); };
  map.on("click", (event) => {
    if (document.getElementById("panel-disaster").hidden) return;
    const mode = areaMode();
    if (mode === "circle") drawing.centre = [event.latlng.lat, event.latlng.lng];
    else if (mode === "polygon") drawing.points.push([event.latlng.lat, event.latlng.lng]);
    else return;
    drawShape();
    areaChanged();
  });
  areaHelp();
  loadReleased();
}

async function loadReleased() {
  // areas already sent show on the map; the newest one's answers keep coming in
  const released = await mm.api("/disaster/alerts?active=true");  // in force: not expired or cancelled
  released.forEach(showArea);
  if (released.length) watchSafety(released[0].id);
  loadDrafts();
}

async function loadDrafts() {
  // drafts wait for a second person: anyone but the author approves and sends them from here
  const drafts = [...await mm.api("/disaster/alerts?state=draft"), ...await mm.api("/disaster/alerts?state=approved")];
  document.getElementById("drafts").hidden = !drafts.length;
  const list = document.getElementById("draft-list");
  list.innerHTML = "";
  for (const draft of drafts) {
    const item = document.createElement("li");
    const text = draft.texts.ja ? draft.texts.ja.headline : "";
    item.innerHTML = `<strong>${mm.esc(draft.hazard_label)}</strong> ${mm.esc(text)} <span class="meta">— ${mm.esc(draft.created_by)}</span>
      <button type="button" class="approve">${mm.esc(mm.t("dis.approve"))}</button>`;
    item.querySelector(".approve").onclick = async () => {
      try {
        if (draft.state === "draft") await mm.api(`/disaster/alerts/${draft.id}/approve`, { method: "POST", body: {} });
        const alert = await mm.api(`/disaster/alerts/${draft.id}/release`, { method: "POST", body: {} });
        showArea(alert); say("dis.sent"); watchSafety(alert.id);
      } catch (error) {
        if (error.status !== 409) throw error;
        say("dis.own_draft", true);
      }
      loadDrafts();
    };
    list.appendChild(item);
  }
}

function areaMode() { return document.querySelector("[name=area-mode]:checked").value; }

function areaHelp() {
  const mode = areaMode();
  document.getElementById("dis-radius").disabled = mode !== "circle";
  document.getElementById("dis-area-help").textContent =
    mode === "ward" ? mm.t("dis.help_ward") : mode === "circle" ? mm.t("dis.help_circle") : mm.t("dis.help_polygon");
}

function clearArea() {
  drawing.points = []; drawing.centre = null;
  drawShape();
  areaChanged();
}

function drawShape() {
  if (drawing.shape) { map.removeLayer(drawing.shape); drawing.shape = null; }
  const style = { color: "#c0122c", dashArray: "6 4", weight: 2, fillOpacity: .12, className: "disaster-draft" };
  const mode = areaMode();
  if (mode === "circle" && drawing.centre) {
    drawing.shape = L.circle(drawing.centre, { ...style, radius: Number(document.getElementById("dis-radius").value) || 0 }).addTo(map);
  } else if (mode === "polygon" && drawing.points.length) {
    drawing.shape = (drawing.points.length < 3 ? L.polyline(drawing.points, style) : L.polygon(drawing.points, style)).addTo(map);
  }
}

function areaChanged() {
  // counts shown belong to one area: a changed area must be counted again before it is sent
  drawing.previewed = false;
  document.getElementById("dis-send").disabled = true;
  document.getElementById("dis-counts").hidden = true;
}

function area() {
  const mode = areaMode();
  if (mode === "ward") return { municipalities: [WARD] };
  if (mode === "circle" && drawing.centre) {
    return { circles: [{ lat: drawing.centre[0], lon: drawing.centre[1], radius_m: Number(document.getElementById("dis-radius").value) }] };
  }
  if (mode === "polygon" && drawing.points.length >= 3) return { polygons: [drawing.points] };
  return null;
}

function say(key, pending = false) {
  const status = document.getElementById("dis-status");
  status.textContent = key ? mm.t(key) : "";
  status.classList.toggle("pending", pending);
}

async function preview() {
  const chosen = area();
  if (!chosen) { say("dis.no_area"); return; }
  const counts = await mm.api("/disaster/preview", { method: "POST", body: chosen });
  document.getElementById("count-residents").textContent = counts.residents;
  document.getElementById("count-devices").textContent = counts.devices;
  document.getElementById("count-watched").textContent = counts.watched_people;
  document.getElementById("dis-counts").hidden = false;
  document.getElementById("dis-counts").scrollIntoView({ block: "nearest" });
  drawing.previewed = true;
  document.getElementById("dis-send").disabled = false;
  say("");
}

async function send() {
  const chosen = area(), headline = document.getElementById("dis-headline").value.trim();
  if (!chosen || !drawing.previewed) { say("dis.no_area"); return; }
  if (!headline) { say("dis.no_headline"); document.getElementById("dis-headline").focus(); return; }
  if (!confirm(mm.t("dis.confirm"))) return;
  document.getElementById("dis-send").disabled = true;
  const created = await mm.api("/disaster/alerts", { method: "POST", body: {
    hazard: document.getElementById("dis-hazard").value,
    severity: document.getElementById("dis-severity").value,
    urgency: document.getElementById("dis-urgency").value,
    certainty: document.getElementById("dis-certainty").value,
    area: chosen,
    texts: { ja: { headline, instruction: document.getElementById("dis-instruction").value.trim() } },
  } });
  let alert = created;
  try {
    alert = await mm.api(`/disaster/alerts/${created.id}/release`, { method: "POST", body: {} });
  } catch (error) {
    // with approval on, a second person approves and releases the draft; it waits till then
    if (error.status !== 409) throw error;
  }
  showArea(alert);
  if (alert.state === "released" || alert.released_at) { say("dis.sent"); watchSafety(alert.id); }
  else { say("dis.pending", true); loadDrafts(); }
}

function showArea(alert) {
  if (drawing.shape) { map.removeLayer(drawing.shape); drawing.shape = null; }
  if (alert.area_geojson && alert.area_geojson.type) {
    disasterLayer.addData({ type: "Feature", geometry: alert.area_geojson, properties: { id: alert.id } });
    const sent = alert.state === "released" || alert.state === "updated";
    disasterLayer.eachLayer((layer) => {
      if (!layer.feature || layer.feature.properties.id !== alert.id) return;
      layer.bindPopup(mm.esc(alert.hazard_label));
      if (!sent) layer.setStyle({ dashArray: "6 4", fillOpacity: .08 });  // a draft: not sent yet
    });
  }
}

function watchSafety(alertId) {
  if (drawing.safety) drawing.safety.close();
  const section = document.getElementById("safety");
  section.hidden = false;
  section.scrollIntoView({ block: "start" });
  const source = new EventSource(`/api/v1/disaster/alerts/${alertId}/safety/stream`);
  source.addEventListener("safety", (event) => renderSafety(JSON.parse(event.data)));
  drawing.safety = source;
}

function renderSafety(report) {
  document.getElementById("safety-safe").textContent = report.everyone.safe;
  document.getElementById("safety-help").textContent = report.everyone.need_help;
  document.getElementById("safety-none").textContent = report.everyone.no_answer;
  const watched = report.watched;
  document.getElementById("safety-watched").textContent = `${watched.safe + watched.need_help} / ${watched.total}`;
  const list = document.getElementById("safety-unanswered");
  list.innerHTML = report.unanswered.length ? "" : `<li class="meta">${mm.esc(mm.t("dis.all_answered"))}</li>`;
  for (const person of report.unanswered) {
    const item = document.createElement("li");
    const shelter = person.shelter ? ` · ${mm.t("resident.shelter")}: ${person.shelter}` : "";
    item.innerHTML = `<button type="button" class="link">${mm.esc(person.name)}</button> <span class="meta">${mm.esc(person.address)}${mm.esc(shelter)}</span>`;
    item.querySelector("button").onclick = () => openDetail(person.household_id);
    list.appendChild(item);
  }
}
