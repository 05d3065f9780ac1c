// The map (Leaflet, from the xstatic-leaflet package): the offline base layer or a configured tile server, the
// objects as clustered markers (points) and canvas-drawn lines and areas. One layer per object, kept by key, so
// a change touches only the objects it carries.

import { keyOf } from "./picture.js";
import { colour, disciplineOf, kindStyle, objectLabel } from "./styles.js";

const L = window.L;
const NETHERLANDS = [[50.75, 3.3], [53.7, 7.25]];
const PERMANENT_LABELS_UP_TO = 300;  // beyond, labels show on hover and focus: clusters and counts declutter
const BASE_STYLE = {
  land: { color: "#b8b2a3", weight: 1, fillColor: "#f3efe6", fillOpacity: 1 },
  lake: { color: "#8db8d6", weight: 1, fillColor: "#cfe3f1", fillOpacity: 1 },
  river: { color: "#6fa6cc", weight: 2 },
  border: { color: "#7d6f8a", weight: 1.5, dashArray: "6 4" },
};

export class ObjectMap {
  constructor(element, { tileUrl, organisations, onChoose }) {
    this.element = element;
    this.organisations = organisations;
    this.onChoose = onChoose;
    this.layers = new Map();
    this.map = L.map(element, { preferCanvas: true, keyboard: true, maxZoom: 18 }).fitBounds(NETHERLANDS);
    this.map.attributionControl.setPrefix(false);
    this.addBase(tileUrl);
    this.points = L.markerClusterGroup({
      chunkedLoading: true, showCoverageOnHover: false, maxClusterRadius: 36, iconCreateFunction: clusterIcon,
      animate: false,  // re-clustering thousands of markers in an animation costs seconds of a laptop's main thread
    });
    this.shapes = L.featureGroup();
    this.map.addLayer(this.shapes).addLayer(this.points);
  }

  addBase(tileUrl) {
    if (tileUrl) {
      L.tileLayer(tileUrl, { maxZoom: 19 }).addTo(this.map);
      return;
    }
    this.map.createPane("base").style.zIndex = 200;
    fetch("/dashboard/base.geojson").then((response) => response.json()).then((outlines) => {
      L.geoJSON(outlines, { pane: "base", interactive: false, style: (f) => BASE_STYLE[f.properties.layer] })
        .addTo(this.map);
    });
  }

  show(objects) {
    this.points.clearLayers();
    this.shapes.clearLayers();
    this.layers.clear();
    const markers = [];
    for (const object of objects) {
      const layer = this.layerOf(object, objects.length <= PERMANENT_LABELS_UP_TO);
      if (!layer) continue;
      this.layers.set(keyOf(object), layer);
      if (layer instanceof L.Marker) markers.push(layer);
      else this.shapes.addLayer(layer);
    }
    this.points.addLayers(markers);
    this.counted();
  }

  update(objects) {
    const gone = objects.map((object) => this.layers.get(keyOf(object))).filter(Boolean);
    this.points.removeLayers(gone.filter((layer) => layer instanceof L.Marker));
    for (const layer of gone) if (!(layer instanceof L.Marker)) this.shapes.removeLayer(layer);
    const markers = [];
    for (const object of objects) {
      this.layers.delete(keyOf(object));
      const layer = object.removed ? null : this.layerOf(object, this.layers.size + objects.length <= PERMANENT_LABELS_UP_TO);
      if (!layer) continue;
      this.layers.set(keyOf(object), layer);
      if (layer instanceof L.Marker) markers.push(layer);
      else this.shapes.addLayer(layer);
    }
    this.points.addLayers(markers);
    this.counted();
  }

  counted() {
    this.element.dataset.featureCount = String(this.layers.size);
  }

  zoomTo(objects) {
    const bounds = L.latLngBounds([]);
    for (const object of objects) {
      const layer = this.layers.get(keyOf(object));
      if (layer) bounds.extend(layer.getLatLng ? layer.getLatLng() : layer.getBounds());
    }
    if (bounds.isValid()) this.map.fitBounds(bounds, { padding: [30, 30], maxZoom: 15 });
  }

  layerOf(object, labelled) {
    if (!object.geometry) return null;
    const discipline = disciplineOf(object, this.organisations);
    const style = kindStyle(object.kind);
    const conflicted = object.conflicts?.length > 0;
    const layer = object.geometry.type === "Point"
      ? marker(object, discipline, style, conflicted)
      : shape(object, colour(discipline), style, conflicted);
    layer.bindTooltip(objectLabel(object), { permanent: labelled, direction: "right", className: "label" });
    layer.on("click", () => this.onChoose(keyOf(object)));
    layer.on("keypress", (event) => { if (event.originalEvent.key === "Enter") this.onChoose(keyOf(object)); });
    return layer;
  }
}

function marker(object, discipline, style, conflicted) {
  const [lon, lat] = object.geometry.coordinates;
  const classes = `marker d-${discipline} shape-${style.shape}${conflicted ? " conflicted" : ""}`;
  const icon = L.divIcon({ className: "", html: `<div class="${classes}"><span></span></div>`, iconSize: [26, 26] });
  const layer = L.marker([lat, lon], { icon, keyboard: true, autoPanOnFocus: false, title: `${object.kind}: ${objectLabel(object)}` });
  layer.on("add", () => { layer.getElement()?.querySelector("span")?.replaceChildren(style.letter); });
  return layer;
}

function shape(object, stroke, style, conflicted) {
  const areaStyle = {
    color: conflicted ? "#b42318" : stroke, fillColor: stroke, weight: object.geometry.type.includes("Line") ? 4 : 2,
    fillOpacity: 0.18, dashArray: style.dash,
  };
  return L.geoJSON(object.geometry, { style: () => areaStyle });
}

function clusterIcon(cluster) {
  return L.divIcon({ className: "", html: `<div class="cluster"><span>${cluster.getChildCount()}</span></div>`, iconSize: [36, 36] });
}
