// The staff / phone page: person photo + catalog garment (or uploaded garment) → POST /v1/tryon.
"use strict";

const state = { person: null, garmentId: null, garmentImage: null };
const $ = (id) => document.getElementById(id);

function headers(extra = {}) {
  const token = localStorage.getItem("tryon-token");
  return token ? { ...extra, Authorization: `Bearer ${token}` } : extra;
}

function setStatus(text, kind = "") {
  const el = $("status");
  el.textContent = text;
  el.className = kind;
}

// Phone photos are large: scale to at most 1280 px and send as JPEG, upright (the browser applies EXIF).
async function fileToJpegBase64(file, maxSide = 1280) {
  const bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
  const scale = Math.min(1, maxSide / Math.max(bitmap.width, bitmap.height));
  const canvas = document.createElement("canvas");
  canvas.width = Math.round(bitmap.width * scale);
  canvas.height = Math.round(bitmap.height * scale);
  canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  const dataUrl = canvas.toDataURL("image/jpeg", 0.9);
  return { dataUrl, base64: dataUrl.split(",")[1] };
}

async function loadCatalog() {
  const grid = $("catalog");
  try {
    const response = await fetch("/v1/garments", { headers: headers() });
    const body = await response.json();
    if (!response.ok) throw new Error(body.error ? body.error.message : response.statusText);
    grid.replaceChildren();
    for (const garment of body.garments) {
      const button = document.createElement("button");
      button.className = "garment";
      button.dataset.id = garment.id;
      button.setAttribute("role", "option");
      const img = document.createElement("img");
      img.alt = "";
      img.loading = "lazy";
      fetch(garment.thumbnail_url, { headers: headers() })
        .then((r) => r.blob()).then((blob) => { img.src = URL.createObjectURL(blob); });
      const label = document.createElement("span");
      label.textContent = garment.price ? `${garment.name} · ${garment.price}` : garment.name;
      button.append(img, label);
      button.addEventListener("click", () => selectGarment(garment.id));
      grid.append(button);
    }
  } catch (error) {
    grid.textContent = `The catalog could not be loaded: ${error.message}`;
    if (String(error.message).includes("not ready")) setTimeout(loadCatalog, 3000);
  }
}

function selectGarment(id) {
  state.garmentId = id;
  state.garmentImage = null;
  $("garment-preview").hidden = true;
  $("garment-hint").hidden = false;
  for (const el of document.querySelectorAll(".garment")) {
    el.setAttribute("aria-selected", String(el.dataset.id === id));
  }
  updateButton();
}

function updateButton() {
  $("go").disabled = !(state.person && (state.garmentId || state.garmentImage));
}

// Reads the chosen photo, shows it in the picker and hands its base64 to `use`.
function photoPicker(inputId, previewId, hintId, use) {
  $(inputId).addEventListener("change", async (event) => {
    const file = event.target.files[0];
    if (!file) return;
    try {
      const { dataUrl, base64 } = await fileToJpegBase64(file);
      use(base64);
      $(previewId).src = dataUrl;
      $(previewId).hidden = false;
      $(hintId).hidden = true;
    } catch {
      setStatus("That file is not a photo this browser can read.", "error");
    }
    updateButton();
  });
}

photoPicker("person-input", "person-preview", "person-hint", (base64) => { state.person = base64; });
photoPicker("garment-input", "garment-preview", "garment-hint", (base64) => {
  state.garmentImage = base64;
  state.garmentId = null;
  for (const el of document.querySelectorAll(".garment")) el.setAttribute("aria-selected", "false");
});

$("token").value = localStorage.getItem("tryon-token") || "";
$("token").addEventListener("change", (event) => {
  localStorage.setItem("tryon-token", event.target.value.trim());
  loadCatalog();
});

$("go").addEventListener("click", async () => {
  const body = { person_image: state.person };
  if (state.garmentId) body.garment_id = state.garmentId;
  else { body.garment_image = state.garmentImage; body.category = $("category").value; }
  $("go").disabled = true;
  const started = performance.now();
  setStatus("Dressing you up…", "busy");
  try {
    const response = await fetch("/v1/tryon", {
      method: "POST", headers: headers({ "Content-Type": "application/json" }), body: JSON.stringify(body),
    });
    const result = await response.json();
    if (!response.ok) {
      const retry = response.headers.get("Retry-After");
      throw new Error(result.error.message + (retry ? ` (retry in ${retry} s)` : ""));
    }
    $("result-image").src = `data:image/jpeg;base64,${result.image}`;
    $("download").href = $("result-image").src;
    $("result").hidden = false;
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    $("result-caption").textContent = `${result.backend} backend · ${seconds} s` +
      (result.warnings.length ? ` · ${result.warnings.join(" ")}` : "");
    const rows = Object.entries(result.timings_ms).map(([stage, ms]) => {
      const tr = document.createElement("tr");
      const th = document.createElement("th");
      const td = document.createElement("td");
      th.textContent = stage;
      td.textContent = `${ms.toFixed(0)} ms`;
      tr.append(th, td);
      return tr;
    });
    $("timings").tBodies[0].replaceChildren(...rows);
    $("timings").hidden = false;
    setStatus("Done.", "ok");
  } catch (error) {
    setStatus(error.message, "error");
  } finally {
    updateButton();
  }
});

loadCatalog();
