// The console's safe-zone tab: draw a circle or a polygon for a tracked person, name it, give it
// hours, save it through the trackers API; list, edit and delete the person's zones.
// A small drawing tool of our own (Leaflet has none built in): clicks on the map, draggable marks,
// a small mark in the middle of each edge that becomes a corner when dragged or clicked (as in
// Leaflet.draw and Traccar's geofence editor), and buttons for those who use the keyboard (the map
// pans with the arrow keys).
"use strict";
const zoneDraft = { mode: null, editing: null, centre: null, radius: null, sizing: false, points: [], closed: false, shape: null, handles: null };

function setUpZones() {
  zoneDraft.handles = L.layerGroup().addTo(map);
  const person = document.getElementById("zone-person");
  person.onchange = () => { cancelDraft(); renderZoneList(true); };
  document.getElementById("zone-new-circle").onclick = () => startDraft("circle");
  document.getElementById("zone-new-polygon").onclick = () => startDraft("polygon");
  document.getElementById("zone-redraw-circle").onclick = () => redraw("circle");
  document.getElementById("zone-redraw-polygon").onclick = () => redraw("polygon");
  document.getElementById("zone-cancel").onclick = cancelDraft;
  document.getElementById("zone-radius").oninput = (event) => {
    const radius = Number(event.target.value);
    zoneDraft.radius = radius > 0 ? radius : null;
    zoneDraft.sizing = false;
    drawDraft();
  };
  document.getElementById("zone-centre-here").onclick = () => { placeCentre(map.getCenter()); zoneDraft.sizing = false; drawDraft(); };
  document.getElementById("zone-add-point").onclick = () => {
    // a closed polygon takes the corner into its nearest edge: the keyboard's way to a midpoint mark
    const centre = map.getCenter();
    if (zoneDraft.closed) insertCorner(nearestEdge(centre) + 1, centre); else addCorner(centre);
  };
  document.getElementById("zone-undo").onclick = () => { zoneDraft.points.pop(); zoneDraft.closed = false; drawDraft(); };
  document.getElementById("zone-finish").onclick = closePolygon;
  document.getElementById("zone-form").onsubmit = (event) => { event.preventDefault(); saveZone(); };
  document.getElementById("lang").addEventListener("click", () => { fillPeople(); renderZoneList(false); showHelp(); });
  map.on("click", onMapClick);
  map.on("mousemove", (event) => {
    if (!drawingHere() || zoneDraft.mode !== "circle" || !zoneDraft.sizing) return;
    setRadius(map.distance(zoneDraft.centre, event.latlng));
  });
  map.on("dblclick", () => { if (drawingHere() && zoneDraft.mode === "polygon") closePolygon(); });
  fillPeople();
}

function drawingHere() { return zoneDraft.mode && !document.getElementById("panel-zones").hidden; }

function fillPeople() {
  const select = document.getElementById("zone-person"), chosen = select.value;
  const trackers = state.trackers || [];
  select.innerHTML = trackers.length ? "" : `<option value="">${mm.esc(mm.t("zone.none_trackers"))}</option>`;
  for (const tracker of trackers) {
    const household = state.households.get(tracker.household_id);
    const option = document.createElement("option");
    option.value = tracker.id;
    option.textContent = `${household ? household.person : tracker.household_id} — ${tracker.label || tracker.id}`;
    select.appendChild(option);
  }
  if (chosen && trackers.some((t) => t.id === chosen)) select.value = chosen;
  document.querySelectorAll("#zone-new button").forEach((button) => button.disabled = !trackers.length);
}

function chosenTracker() { return document.getElementById("zone-person").value; }

function hoursText(zone) { return zone.active_from ? `${zone.active_from}–${zone.active_to}` : mm.t("zone.all_day"); }

function shapeText(zone) {
  return zone.radius_m != null ? `${mm.t("zone.circle_of")} ${Math.round(zone.radius_m)} m`
    : `${mm.t("zone.polygon_of")} (${zone.polygon.length} ${mm.t("zone.corners")})`;
}

// called by the console whenever the zones were (re)loaded
function renderZoneList(fit) {
  if (!document.getElementById("zone-person")) return;
  if (document.getElementById("zone-person").options.length !== (state.trackers || []).length || !chosenTracker()) fillPeople();
  const list = document.getElementById("zone-list");
  const tracker = (state.trackers || []).find((t) => t.id === chosenTracker());
  document.getElementById("zone-presence").textContent = tracker ? mm.presenceText(tracker.presence) : "";
  const zones = (state.zones && state.zones.get(chosenTracker())) || [];
  list.innerHTML = zones.length ? "" : `<li class="empty meta">${mm.esc(mm.t("zone.empty"))}</li>`;
  for (const zone of zones) {
    const item = document.createElement("li");
    item.dataset.zoneId = zone.id;
    item.innerHTML = `<strong class="zone-name">${mm.esc(zone.name)}</strong> <span class="meta">${mm.esc(mm.t("zone.kind." + zone.kind))} · ${mm.esc(hoursText(zone))} · ${mm.esc(shapeText(zone))}</span>
      <div class="actions">
        <button type="button" class="secondary show">${mm.esc(mm.t("zone.show"))}</button>
        <button type="button" class="secondary edit">${mm.esc(mm.t("zone.edit"))}</button>
        <button type="button" class="secondary delete">${mm.esc(mm.t("zone.delete"))}</button>
      </div>`;
    const name = zone.name;
    item.querySelector(".show").setAttribute("aria-label", `${mm.t("zone.show")}: ${name}`);
    item.querySelector(".edit").setAttribute("aria-label", `${mm.t("zone.edit")}: ${name}`);
    item.querySelector(".delete").setAttribute("aria-label", `${mm.t("zone.delete")}: ${name}`);
    item.querySelector(".show").onclick = () => showZone(zone.id);
    item.querySelector(".edit").onclick = () => editZone(zone);
    item.querySelector(".delete").onclick = () => deleteZone(zone);
    list.appendChild(item);
  }
  if (fit && zones.length) {
    const bounds = L.latLngBounds([]);
    for (const zone of zones) { const shape = state.zoneShapes.get(zone.id); if (shape) bounds.extend(shape.getBounds()); }
    if (bounds.isValid()) map.fitBounds(bounds, { maxZoom: 17, padding: [20, 20] });
  }
}

function showZone(zoneId) {
  const shape = state.zoneShapes.get(zoneId);
  if (!shape) return;
  map.fitBounds(shape.getBounds(), { maxZoom: 17, padding: [20, 20] });
  shape.openPopup();
}

function startDraft(mode, zone = null) {
  cancelDraft();
  zoneDraft.editing = zone;
  document.getElementById("zone-form-title").textContent = mm.t(zone ? "zone.title_edit" : "zone.title_new");
  document.getElementById("zone-name").value = zone ? zone.name : "";
  document.getElementById("zone-kind").value = zone ? zone.kind : "home";
  document.getElementById("zone-from").value = zone && zone.active_from ? zone.active_from : "";
  document.getElementById("zone-to").value = zone && zone.active_to ? zone.active_to : "";
  document.getElementById("zone-form").hidden = false;
  document.getElementById("zone-new").hidden = true;
  document.getElementById("zone-status").textContent = "";
  zoneSay("");
  if (zone) {
    // the saved shape is the draft until redrawn: rename or new hours keep it as it is
    const shape = state.zoneShapes.get(zone.id);
    if (shape) zoneLayer.removeLayer(shape);
    if (zone.radius_m != null) { zoneDraft.centre = L.latLng(zone.center_lat, zone.center_lon); zoneDraft.radius = zone.radius_m; }
    else { zoneDraft.points = zone.polygon.map(([lat, lon]) => L.latLng(lat, lon)); zoneDraft.closed = true; }
    mode = zone.radius_m != null ? "circle" : "polygon";
  }
  setMode(mode);
  drawDraft();
  document.getElementById(zone ? "zone-name" : "zone-form-title").focus?.();
}

function setMode(mode) {
  zoneDraft.mode = mode;
  document.getElementById("zone-circle-tools").hidden = mode !== "circle";
  document.getElementById("zone-polygon-tools").hidden = mode !== "polygon";
  document.getElementById("zone-radius").value = zoneDraft.radius ? Math.round(zoneDraft.radius) : "";
  // a double click closes the polygon rather than zooming in
  if (mode === "polygon") map.doubleClickZoom.disable(); else map.doubleClickZoom.enable();
  // while drawing, clicks go through markers and shapes to the map (no popups in the way)
  map.closePopup();
  map.getContainer().classList.add("zone-drawing");
  showHelp();
}

function redraw(mode) {
  zoneDraft.centre = null; zoneDraft.radius = null; zoneDraft.points = []; zoneDraft.closed = false; zoneDraft.sizing = false;
  setMode(mode);
  drawDraft();
}

function showHelp() {
  const help = document.getElementById("zone-help");
  if (!help || !zoneDraft.mode) return;
  const ready = zoneDraft.mode === "circle" ? zoneDraft.centre && zoneDraft.radius && !zoneDraft.sizing : zoneDraft.closed;
  help.textContent = mm.t(ready ? "zone.help_closed" : zoneDraft.mode === "circle" ? "zone.help_circle" : "zone.help_polygon");
}

function cancelDraft() {
  if (zoneDraft.editing) {
    const shape = state.zoneShapes.get(zoneDraft.editing.id);
    if (shape) zoneLayer.addLayer(shape);
  }
  Object.assign(zoneDraft, { mode: null, editing: null, centre: null, radius: null, sizing: false, points: [], closed: false });
  if (zoneDraft.shape) { map.removeLayer(zoneDraft.shape); zoneDraft.shape = null; }
  if (zoneDraft.handles) zoneDraft.handles.clearLayers();
  map.doubleClickZoom.enable();
  map.getContainer().classList.remove("zone-drawing");
  document.getElementById("zone-form").hidden = true;
  document.getElementById("zone-new").hidden = false;
  document.getElementById("zone-error").textContent = "";
}

function onMapClick(event) {
  if (!drawingHere()) return;
  if (zoneDraft.mode === "circle") {
    if (zoneDraft.sizing) { zoneDraft.sizing = false; setRadius(map.distance(zoneDraft.centre, event.latlng)); showHelp(); return; }
    placeCentre(event.latlng);
    // the radius follows the pointer until the next click, unless one is typed already
    zoneDraft.sizing = !zoneDraft.radius;
    drawDraft();
  } else if (zoneDraft.mode === "polygon") {
    addCorner(event.latlng);
  }
}

function placeCentre(latlng) { zoneDraft.centre = L.latLng(latlng.lat, latlng.lng); }

function setRadius(metres) {
  zoneDraft.radius = Math.max(1, Math.round(metres));
  document.getElementById("zone-radius").value = zoneDraft.radius;
  drawDraft();
}

function addCorner(latlng) {
  if (zoneDraft.closed) return;
  const last = zoneDraft.points[zoneDraft.points.length - 1];
  // the two clicks of a double click land on one spot: one corner, not two
  if (last && map.latLngToContainerPoint(last).distanceTo(map.latLngToContainerPoint(latlng)) < 4) return;
  zoneDraft.points.push(L.latLng(latlng.lat, latlng.lng));
  drawDraft();
}

function insertCorner(index, latlng) {
  zoneDraft.points.splice(index, 0, L.latLng(latlng.lat, latlng.lng));
  drawDraft();
}

// the edge (index of its first corner) that a corner at latlng lengthens least: where it belongs
function nearestEdge(latlng) {
  const points = zoneDraft.points, at = map.latLngToLayerPoint(latlng);
  let best = 0, detour = Infinity;
  points.forEach((point, index) => {
    const from = map.latLngToLayerPoint(point), to = map.latLngToLayerPoint(points[(index + 1) % points.length]);
    const longer = from.distanceTo(at) + at.distanceTo(to) - from.distanceTo(to);
    if (longer < detour) { best = index; detour = longer; }
  });
  return best;
}

function closePolygon() {
  if (zoneDraft.points.length < 3) { zoneSay("zone.help_polygon"); return; }
  zoneDraft.closed = true;
  drawDraft();
}

function drawDraft() {
  if (zoneDraft.shape) { map.removeLayer(zoneDraft.shape); zoneDraft.shape = null; }
  zoneDraft.handles.clearLayers();
  const style = { color: "#7c3aed", dashArray: "6 4", weight: 3, fillOpacity: .12, className: "zone-draft" };
  const handle = (latlng, onMove) => {
    const mark = L.marker(latlng, { draggable: true, keyboard: false, icon: L.divIcon({ className: "zone-handle", iconSize: [12, 12] }) });
    mark.on("drag", (event) => { onMove(event.target.getLatLng()); redrawShapeOnly(); });
    mark.on("dragend", drawDraft);
    return mark.addTo(zoneDraft.handles);
  };
  if (zoneDraft.mode === "circle" && zoneDraft.centre) {
    zoneDraft.shape = L.circle(zoneDraft.centre, { ...style, radius: zoneDraft.radius || 0 }).addTo(map);
    handle(zoneDraft.centre, (latlng) => { zoneDraft.centre = latlng; });
  } else if (zoneDraft.mode === "polygon" && zoneDraft.points.length) {
    zoneDraft.shape = (zoneDraft.closed ? L.polygon(zoneDraft.points, style) : L.polyline(zoneDraft.points, style)).addTo(map);
    zoneDraft.points.forEach((point, index) => handle(point, (latlng) => { zoneDraft.points[index] = latlng; }));
    drawMidpoints();
  }
  document.getElementById("zone-finish").disabled = zoneDraft.closed || zoneDraft.points.length < 3;
  document.getElementById("zone-undo").disabled = !zoneDraft.points.length;
  showHelp();
}

// a small mark halfway along each edge: dragged or clicked, it becomes a corner between the two
function drawMidpoints() {
  const points = zoneDraft.points, edges = zoneDraft.closed ? points.length : points.length - 1;
  for (let index = 0; index < edges; index += 1) {
    const from = map.latLngToLayerPoint(points[index]), to = map.latLngToLayerPoint(points[(index + 1) % points.length]);
    const at = index + 1;  // where the new corner goes in the ring
    const mark = L.marker(map.layerPointToLatLng(from.add(to).divideBy(2)), {
      draggable: true, keyboard: false, title: mm.t("zone.midpoint"),
      icon: L.divIcon({ className: "zone-handle zone-midpoint", iconSize: [10, 10] }),
    });
    let inserted = false;
    const insert = () => { if (!inserted) { zoneDraft.points.splice(at, 0, mark.getLatLng()); inserted = true; } };
    mark.on("dragstart", insert);
    mark.on("drag", (event) => { zoneDraft.points[at] = event.target.getLatLng(); redrawShapeOnly(); });
    mark.on("dragend", drawDraft);
    mark.on("click", () => { insert(); drawDraft(); });
    mark.addTo(zoneDraft.handles);
  }
}

function redrawShapeOnly() {
  if (!zoneDraft.shape) return;
  if (zoneDraft.mode === "circle") zoneDraft.shape.setLatLng(zoneDraft.centre);
  else zoneDraft.shape.setLatLngs(zoneDraft.points);
}

function zoneSay(key, text) {
  document.getElementById("zone-error").textContent = key ? mm.t(key) + (text ? ` (${text})` : "") : "";
}

function errorText(error) {
  // the server's reasons: {code, message} for a shape it refuses, a list for a malformed request
  const detail = error.detail;
  if (detail && detail.code && mm.t("zone.err." + detail.code) !== "zone.err." + detail.code) return mm.t("zone.err." + detail.code);
  if (detail && detail.message) return `${mm.t("zone.err.other")}: ${detail.message}`;
  if (Array.isArray(detail)) return `${mm.t("zone.err.other")}: ${detail.map((d) => d.msg).join("; ")}`;
  return `${mm.t("zone.err.other")} (${error.status || error.message})`;
}

function zoneBody(id) {
  const from = document.getElementById("zone-from").value, to = document.getElementById("zone-to").value;
  const body = {
    id,
    name: document.getElementById("zone-name").value.trim(),
    kind: document.getElementById("zone-kind").value,
    active_from: from || null,
    active_to: to || null,
  };
  if (zoneDraft.mode === "circle") {
    Object.assign(body, { center_lat: zoneDraft.centre.lat, center_lon: zoneDraft.centre.lng, radius_m: zoneDraft.radius });
  } else {
    body.polygon = zoneDraft.points.map((p) => [p.lat, p.lng]);
  }
  return body;
}

function newZoneId(trackerId) {
  return `${trackerId.slice(0, 40)}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
}

async function saveZone() {
  const shaped = zoneDraft.mode === "circle" ? zoneDraft.centre && zoneDraft.radius : zoneDraft.closed;
  if (!shaped) { zoneSay("zone.err.no_shape"); return; }
  if (!document.getElementById("zone-name").value.trim()) { zoneSay("zone.err.no_name"); document.getElementById("zone-name").focus(); return; }
  if (!document.getElementById("zone-from").value !== !document.getElementById("zone-to").value) { zoneSay("zone.err.hours_pair"); return; }
  const tracker = chosenTracker(), editing = zoneDraft.editing;
  const id = editing ? editing.id : newZoneId(tracker);
  const path = `/trackers/${encodeURIComponent(tracker)}/zones`;
  try {
    if (editing) await mm.api(`${path}/${encodeURIComponent(id)}`, { method: "PUT", body: zoneBody(id) });
    else await mm.api(path, { method: "POST", body: zoneBody(id) });
  } catch (error) {
    if (error.status === 422 || error.status === 409 || error.status === 404) {
      document.getElementById("zone-error").textContent = errorText(error);
      return;
    }
    throw error;
  }
  zoneDraft.editing = null;  // saved: the old shape is not put back
  cancelDraft();
  await loadZones();
  document.getElementById("zone-status").textContent = mm.t("zone.saved");
  showZone(id);
}

function editZone(zone) { startDraft(null, zone); }

async function deleteZone(zone) {
  if (!confirm(`${mm.t("zone.confirm_delete")}\n${zone.name}`)) return;
  await mm.api(`/trackers/${encodeURIComponent(zone.tracker_id)}/zones/${encodeURIComponent(zone.id)}`, { method: "DELETE" });
  if (zoneDraft.editing && zoneDraft.editing.id === zone.id) { zoneDraft.editing = null; cancelDraft(); }
  await loadZones();
  document.getElementById("zone-status").textContent = mm.t("zone.deleted");
}
