// scanverify's verification page. Frames (or a photo) go to POST /api/verify; the server
// decodes and verifies (one decoder, exact bytes). Every text from a seal or the server is
// put in the page with textContent, never innerHTML: it is data, never markup.
"use strict";

(function () {
  const FRAME_EVERY_MS = 300;     // a few frames a second
  const FRAME_MAX_SIDE = 1280;    // downscaled: enough pixels for a seal, small to send
  const REPEAT_AFTER_MS = 5000;   // like live mode: a seal is told again after this long out of view
  const SYMBOLS = {
    genuine: "✓", forged: "✗", untrusted: "?", revoked: "⊘", not_yet_valid: "◷",
    expired: "⌛", malformed: "⚠", not_a_seal: "ℹ", no_code: "∅", error: "!",
  };
  const $ = (id) => document.getElementById(id);
  // The registry lookup's three answers (and a failure), each a symbol and a word.
  const LOOKUP = {
    valid: { symbol: "✓", word: "lookup_valid", state: "good" },
    revoked: { symbol: "⊘", word: "lookup_revoked", state: "bad", note: "lookup_revoked_note" },
    not_found: { symbol: "∅", word: "lookup_not_found", state: "neutral", note: "lookup_not_found_note" },
    error: { symbol: "!", word: "error", state: "neutral" },
    busy: { symbol: "…", word: "checking", state: "busy" },
  };
  // Labels of a CS1 record's fields; a field not named here is shown under its own key.
  const RECORD_FIELDS = {
    no: "field_no", t: "field_t", dt: "field_dt", au: "field_au", pl: "field_pl", of: "field_of", dst: "field_dst",
  };
  const DOC_FIELDS = { ti: "field_ti", hn: "field_hn", pg: "field_pg", h: "field_h" };

  let messages = { en: {} };
  let lang = "en";
  let current = null;            // the result shown, to redraw it in another language
  let currentFrom = null;        // the image it was read from: asked for again in another language
  const lastSeen = new Map();    // seal key -> when it was last in a frame
  let stream = null;
  let inFlight = false;
  let lookupShown = null;        // the lookup answer shown, to redraw it in another language

  function t(key) {
    return (messages[lang] && messages[lang][key]) || messages.en[key] || key;
  }

  function chooseLanguage() {
    let saved = null;
    try { saved = window.localStorage.getItem("scanverify.lang"); } catch (e) { saved = null; }
    if (saved && messages[saved]) return saved;
    const wanted = (navigator.languages || [navigator.language || "en"]).map((l) => String(l).toLowerCase());
    return wanted.some((l) => l.startsWith("zh")) ? "zh" : "en";
  }

  function applyLanguage() {
    document.documentElement.lang = lang === "zh" ? "zh-Hans" : "en";
    document.title = "scanverify — " + t("title");
    for (const node of document.querySelectorAll("[data-msg]")) node.textContent = t(node.dataset.msg);
    for (const node of document.querySelectorAll("[data-label]")) node.setAttribute("aria-label", t(node.dataset.label));
    if (current) showVerdict(current, false); else if (!document.querySelector("#verdict[data-state='busy']")) idle();
    for (const item of document.querySelectorAll("#seen li")) {
      item.querySelector(".mark").textContent = SYMBOLS[item.dataset.status] + " " + t("status_" + item.dataset.status);
    }
    if (lookupShown) showLookup(lookupShown);
  }

  // ------------------------------------------------------------ verdict
  function stateOf(status) {
    if (status === "genuine") return "good";
    if (status === "not_a_seal" || status === "no_code") return "neutral";
    return "bad";
  }

  function idle(text) {
    const box = $("verdict");
    box.dataset.state = "idle";
    delete box.dataset.status;
    $("verdict-symbol").textContent = "◎";
    $("verdict-word").textContent = text || t(stream ? "looking" : "idle");
    $("verdict-specimen").hidden = true;
    $("verdict-stale").hidden = true;
    $("verdict-reason").textContent = "";
    $("details").hidden = true;
  }

  function busy() {
    const box = $("verdict");
    box.dataset.state = "busy";
    $("verdict-symbol").textContent = "…";
    $("verdict-word").textContent = t("checking");
  }

  function isStale(result) {
    return (result.warnings || []).some((w) => String(w).startsWith("the trust list is out of date"));
  }

  function showVerdict(result, announce) {
    current = result;
    const box = $("verdict");
    const status = String(result.status);
    box.dataset.state = stateOf(status);
    box.dataset.status = status;
    $("verdict-symbol").textContent = SYMBOLS[status] || "!";
    $("verdict-word").textContent = t("status_" + status);
    $("verdict-specimen").hidden = !(result.specimen === true);
    $("verdict-stale").hidden = !isStale(result);
    // The server's words for a person, in the language the page asked for (the English
    // fields are the stable JSON; used only by a server that does not send the words).
    const reason = result.reason_text || result.reason;
    $("verdict-reason").textContent = reason ? t("reason") + t("colon") + reason : "";

    const facts = $("facts");
    facts.replaceChildren();
    for (const fact of result.facts || []) {
      const dt = document.createElement("dt");
      dt.textContent = String(fact.label_text || fact.label);
      const dd = document.createElement("dd");
      dd.textContent = String(fact.value_text || fact.value);
      facts.append(dt, dd);
    }
    const details = $("details");
    const genuine = status === "genuine";
    details.dataset.verified = genuine ? "yes" : "no";
    $("not-verified").hidden = genuine;
    details.hidden = false;
    if (announce) box.focus({ preventScroll: false });
  }

  function addSeen(result) {
    const item = document.createElement("li");
    item.dataset.status = String(result.status);
    const mark = document.createElement("span");
    mark.className = "mark";
    mark.textContent = (SYMBOLS[result.status] || "!") + " " + t("status_" + result.status);
    const what = document.createElement("span");
    const facts = result.facts || [];
    const label = [result.format, facts.length ? facts[0].value : null, facts.length > 1 ? facts[1].value : null]
      .filter((x) => x !== null && x !== undefined && x !== "").join(" · ");
    what.textContent = label ? " — " + label : "";
    item.append(mark, what);
    $("seen").prepend(item);
  }

  function sealKey(result) {
    if (result.payload) return "p:" + result.payload;
    return "k:" + JSON.stringify([result.format, result.kid, result.status, result.claims || null, result.record || null]);
  }

  // Each distinct seal is told once while it stays in view, and again only after it
  // has been out of view REPEAT_AFTER_MS (what `scanverify live` does).
  function handle(results, fromCamera, blob) {
    const now = Date.now();
    let told = false;
    for (const result of results) {
      if (result.status === "no_code") {
        if (!fromCamera) { showVerdict(result, true); currentFrom = blob; told = true; }
        continue;
      }
      const key = sealKey(result);
      const last = lastSeen.get(key);
      lastSeen.set(key, now);
      if (fromCamera && last !== undefined && now - last < REPEAT_AFTER_MS) continue;
      if (!told) { showVerdict(result, true); currentFrom = blob; }
      addSeen(result);
      told = true;
    }
    return told;
  }

  function problem(text) {
    $("camera-status").textContent = t("error") + ": " + text;
  }

  // The answer to one image, with the words for a person in the page's language (?lang=).
  async function ask(blob) {
    const response = await fetch("/api/verify?lang=" + encodeURIComponent(lang), {
      method: "POST", body: blob, headers: { "content-type": blob.type || "image/jpeg" },
      cache: "no-store", credentials: "same-origin",
    });
    let body = null;
    try { body = await response.json(); } catch (e) { body = null; }
    return { response, body };
  }

  async function send(blob, fromCamera) {
    const { response, body } = await ask(blob);
    if (!response.ok || !body || !Array.isArray(body.results)) {
      if (!fromCamera) { problem(body && body.error ? String(body.error) : String(response.status)); idle(); }
      return false;
    }
    return handle(body.results, fromCamera, blob);
  }

  // The verdict shown, in the language just chosen: its image is asked about again, so
  // that the server's words (reason, labels) are in that language too.
  async function retranslate() {
    if (!current || !currentFrom) return;
    const shownKey = sealKey(current);
    const wanted = lang;
    let answer = null;
    try { answer = await ask(currentFrom); } catch (e) { return; }
    const results = answer.body && Array.isArray(answer.body.results) ? answer.body.results : [];
    const again = results.find((r) => sealKey(r) === shownKey);
    if (again && lang === wanted && current && sealKey(current) === shownKey) showVerdict(again, false);
  }

  // ------------------------------------------------------------ camera
  async function startCamera() {
    $("camera-start").hidden = true;
    if (!window.isSecureContext) { $("camera-status").textContent = t("camera_insecure"); return; }
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      $("camera-status").textContent = t("camera_unavailable"); return;
    }
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        audio: false, video: { facingMode: { ideal: "environment" }, width: { ideal: 1920 }, height: { ideal: 1080 } },
      });
    } catch (e) {
      stream = null;
      const denied = e && (e.name === "NotAllowedError" || e.name === "SecurityError");
      $("camera-status").textContent = t(denied ? "camera_denied" : "camera_unavailable");
      $("camera-start").hidden = false;
      return;
    }
    const video = $("camera");
    video.srcObject = stream;
    video.dataset.live = "1";
    $("camera-status").textContent = "";
    if (!current) idle();
    try { await video.play(); } catch (e) { /* autoplay of a muted stream is allowed; play() may still race */ }
    window.setInterval(grab, FRAME_EVERY_MS);
  }

  function grab() {
    const video = $("camera");
    if (inFlight || !stream || video.readyState < 2 || !video.videoWidth) return;
    const scale = Math.min(1, FRAME_MAX_SIDE / Math.max(video.videoWidth, video.videoHeight));
    const canvas = $("frame");
    canvas.width = Math.round(video.videoWidth * scale);
    canvas.height = Math.round(video.videoHeight * scale);
    canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
    inFlight = true;
    canvas.toBlob((blob) => {
      if (!blob) { inFlight = false; return; }
      send(blob, true).catch(() => false).finally(() => { inFlight = false; });
    }, "image/jpeg", 0.85);
  }

  // ------------------------------------------------------------ photo
  async function photoChosen() {
    const input = $("photo");
    const file = input.files && input.files[0];
    if (!file) return;
    busy();
    try {
      await send(file.type && file.type.startsWith("image/") ? file : new Blob([file], { type: "image/jpeg" }), false);
    } catch (e) {
      problem(String(e && e.message ? e.message : e));
      idle();
    } finally {
      input.value = "";
    }
  }

  // ------------------------------------------------------------ registry lookup
  // The record's fields in the order a certificate prints them (the registry keeps its keys sorted).
  function recordRows(record) {
    const rows = [];
    const text = (v) => (v !== null && typeof v === "object" ? JSON.stringify(v) : String(v));
    // Own keys only: a field named "constructor" or "toString" is data like any other.
    const has = (o, k) => Object.prototype.hasOwnProperty.call(o, k);
    const fields = record && typeof record === "object" ? record : {};
    const doc = fields.doc && typeof fields.doc === "object" && !Array.isArray(fields.doc) ? fields.doc : null;
    for (const key of Object.keys(RECORD_FIELDS)) if (has(fields, key)) rows.push([t(RECORD_FIELDS[key]), text(fields[key])]);
    if (doc) {
      for (const key of Object.keys(DOC_FIELDS)) if (has(doc, key)) rows.push([t(DOC_FIELDS[key]), text(doc[key])]);
      for (const [k, v] of Object.entries(doc)) if (!has(DOC_FIELDS, k)) rows.push(["doc." + k, text(v)]);
    }
    // Fields this page has no label for are shown under their own key, never dropped.
    for (const [key, value] of Object.entries(fields)) {
      if (key !== "v" && !has(RECORD_FIELDS, key) && !(key === "doc" && doc)) rows.push([key, text(value)]);
    }
    return rows;
  }

  // shown: {kind: "valid"|"revoked"|"not_found"|"error"|"busy", record?, error?}
  function showLookup(shown, announce) {
    lookupShown = shown.kind === "busy" ? null : shown;
    const how = LOOKUP[shown.kind];
    const box = $("lookup-result");
    box.dataset.state = how.state;
    box.dataset.answer = shown.kind;
    $("lookup-symbol").textContent = how.symbol;
    $("lookup-word").textContent = t(how.word);
    $("lookup-note").textContent = shown.kind === "error" ? String(shown.error) : (how.note ? t(how.note) : "");
    const list = $("lookup-record");
    list.replaceChildren();
    for (const [label, value] of shown.record ? recordRows(shown.record) : []) {
      const dt = document.createElement("dt");
      dt.textContent = label;
      const dd = document.createElement("dd");
      dd.textContent = value;
      list.append(dt, dd);
    }
    if (shown.kind !== "busy" && announce) box.scrollIntoView({ block: "nearest" });
  }

  async function lookupSubmitted(event) {
    event.preventDefault();
    const no = $("lookup-no").value.trim();
    const dt = $("lookup-dt").value;
    if (!no || !dt) { showLookup({ kind: "error", error: t("lookup_missing") }, true); return; }
    showLookup({ kind: "busy" });
    let response = null;
    let body = null;
    try {
      response = await fetch("/api/lookup?" + new URLSearchParams({ no: no, dt: dt }).toString(), {
        cache: "no-store", credentials: "same-origin",
      });
      body = await response.json();
    } catch (e) { body = null; }
    // "valid" only for exactly that answer: anything unexpected is a failure, never a pass.
    if (response && response.status === 200 && body && body.found === true && (body.status === "valid" || body.status === "revoked")) {
      showLookup({ kind: body.status, record: body.record }, true);
    } else if (response && response.status === 200 && body && body.found === false) {
      showLookup({ kind: "not_found" }, true);
    } else if (response && response.status === 429) {
      showLookup({ kind: "error", error: t("lookup_too_many") }, true);
    } else {
      showLookup({ kind: "error", error: body && body.error ? String(body.error) : (response ? String(response.status) : t("lookup_offline")) }, true);
    }
  }

  async function offerLookup() {
    try {
      const response = await fetch("/api/config", { cache: "no-store", credentials: "same-origin" });
      const config = await response.json();
      if (config && config.lookup === true) {
        $("lookup").hidden = false;
        $("lookup-form").addEventListener("submit", lookupSubmitted);
      }
    } catch (e) { /* an older server, or offline: no lookup form */ }
  }

  function next() {
    current = null;
    currentFrom = null;
    idle();
    $("camera").scrollIntoView({ block: "center" });
  }

  async function main() {
    try {
      const response = await fetch("/static/messages.json", { cache: "no-cache" });
      messages = await response.json();
    } catch (e) { messages = { en: {} }; }
    lang = chooseLanguage();
    applyLanguage();
    $("language").addEventListener("click", () => {
      lang = lang === "zh" ? "en" : "zh";
      try { window.localStorage.setItem("scanverify.lang", lang); } catch (e) { /* private mode */ }
      applyLanguage();
      retranslate();
    });
    $("photo").addEventListener("change", photoChosen);
    $("next").addEventListener("click", next);
    $("camera-start").addEventListener("click", startCamera);
    offerLookup();
    startCamera();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", main); else main();
})();
