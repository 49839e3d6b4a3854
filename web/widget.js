/* citybot web chat widget (docs/webchat.md). What the server sends is only ever shown as text. */
(() => {
"use strict";

// Read now: document.currentScript is null once this first run is over.
const script = document.currentScript || document.querySelector("script[data-server][src*='widget.js']");
if (!script || window.CityBot) return;
const server = script.dataset.server || "";
if (!/^wss?:\/\//i.test(server)) return console.warn('citybot: the script tag needs data-server="wss://…"; not starting');
const pick = (v) => (v || "").slice(0, 2).toLowerCase();
const lang = [pick(script.dataset.lang), pick(document.documentElement.lang)].find((l) => l === "en" || l === "ru") || "en";

const T = {
  en: {
    title: "City assistant", launcher: "Open chat with the city assistant", close: "Close chat", send: "Send",
    message: "Message", placeholder: "Type your question…", log: "Conversation", choices: "Reply options",
    location: "Share my location", locationShared: "📍 Location shared", sending: "Sending…", retry: "Try again",
    connecting: "Connecting…", online: "Online", offline: "Offline", reconnecting: "Offline, reconnecting…",
    idle: "Paused while you were away. Type to reconnect.", typing: "The assistant is typing",
    unread: (n) => `${n} new message${n === 1 ? "" : "s"}`,
    geoDenied: "Location access is blocked; please type the address.",
    geoError: "Could not get your location; please type the address.",
    tooLarge: "This message is too long to send.", rateLimited: "Too many messages; sending again shortly.",
    internal: "The assistant could not process this message.", bad: "This message could not be sent.",
    image: "Image from the assistant", you: "You:", bot: "Assistant:",
  },
  ru: {
    title: "Городской помощник", launcher: "Открыть чат с городским помощником", close: "Закрыть чат", send: "Отправить",
    message: "Сообщение", placeholder: "Напишите вопрос…", log: "Переписка", choices: "Варианты ответа",
    location: "Отправить моё местоположение", locationShared: "📍 Местоположение отправлено", sending: "Отправляется…",
    retry: "Повторить", connecting: "Подключаюсь…", online: "В сети", offline: "Нет связи", reconnecting: "Нет связи, переподключаюсь…",
    idle: "Чат приостановлен. Напишите, чтобы продолжить.", typing: "Помощник печатает",
    unread: (n) => `${n} ${{ one: "новое сообщение", few: "новых сообщения" }[new Intl.PluralRules("ru").select(n)] || "новых сообщений"}`,
    geoDenied: "Доступ к местоположению запрещён; напишите адрес.",
    geoError: "Местоположение не определилось; напишите адрес.",
    tooLarge: "Сообщение слишком длинное.", rateLimited: "Слишком много сообщений; скоро повторю.",
    internal: "Помощник не смог обработать это сообщение.", bad: "Не удалось отправить это сообщение.",
    image: "Изображение от помощника", you: "Вы:", bot: "Помощник:",
  },
}[lang];

// Static icons: the only markup this widget ever parses.
const svg = (d) => `<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" focusable="false">${d}</svg>`;
const ICON = {
  chat: svg('<path d="M21 11.5a8.5 8.5 0 0 1-12.4 7.6L3 20.5l1.5-5A8.5 8.5 0 1 1 21 11.5z"/><path d="M8.5 11.5h.01M12.5 11.5h.01M16.5 11.5h.01" stroke-width="2.6"/>'),
  close: svg('<path d="M6 6l12 12M18 6L6 18"/>'),
  send: svg('<path d="M21 3L10 14"/><path d="M21 3l-7 18-4-7-7-4z"/>'),
  pin: svg('<path d="M12 21s-7-6.1-7-11.5a7 7 0 0 1 14 0C19 14.9 12 21 12 21z"/><circle cx="12" cy="9.5" r="2.5"/>'),
};

// Storage may be disabled: then the widget just forgets. No value: read; null: remove.
function store(key, value) {
  try {
    if (value === undefined) return JSON.parse(localStorage.getItem(key));
    if (value === null) localStorage.removeItem(key);
    else localStorage.setItem(key, JSON.stringify(value));
  } catch { return null; }
}

function h(tag, attrs, ...kids) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value == null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  node.append(...kids.filter(Boolean));
  return node;
}

// `label`: an icon-only button's name (and tooltip).
const button = (cls, onclick, label, ...kids) =>
  h("button", { type: "button", class: cls, onclick, "aria-label": label, title: label }, ...kids);

function icon(name) {
  const span = h("span", { class: "cb-icon", "aria-hidden": "true" });
  span.innerHTML = ICON[name];
  return span;
}

function safeUrl(value) {
  try { return /^https?:$/.test(new URL(value).protocol) ? new URL(value).href : null; } catch { return null; }
}

const count = (s, ch) => s.split(ch).length;
const str = (v) => (typeof v === "string" && v) || ""; // a non-empty string, or ""

function textBlock(text, links) {
  const box = h("div", { class: "cb-text" });
  let last = 0;
  for (const match of links ? text.matchAll(/\bhttps?:\/\/[^\s<>"]+/gi) : []) {
    let url = match[0];
    // Sentence punctuation after a link is not part of it; a ")" is when the link opened one.
    while (/[.,;:!?'")\]]$/.test(url) && !(url.endsWith(")") && count(url, "(") >= count(url, ")"))) url = url.slice(0, -1);
    const href = safeUrl(url);
    if (!href) continue;
    box.append(text.slice(last, match.index),
      h("a", { href, target: "_blank", rel: "noopener noreferrer", text: url }));
    last = match.index + url.length;
  }
  box.append(text.slice(last));
  return box;
}

const pad = (n) => String(n).padStart(2, "0");

function timeEl(ts) {
  const date = new Date(ts > 0 ? ts * 1000 : Date.now());
  let label = `${pad(date.getHours())}:${pad(date.getMinutes())}`;
  if (date.toDateString() !== new Date().toDateString()) label = `${date.toLocaleDateString(lang, { day: "numeric", month: "short" })}, ${label}`;
  return h("time", { class: "cb-time", datetime: date.toISOString(), text: label });
}

const badgeNum = h("span", { "aria-hidden": "true" });
const badgeText = h("span", { class: "cb-sr" });
const badge = h("span", { class: "cb-badge", id: "cb-badge", hidden: true }, badgeNum, badgeText);
const launcher = h("button", {
  type: "button", class: "cb-launcher", "aria-label": T.launcher, "aria-expanded": "false", "aria-controls": "cb-panel",
  onclick: () => (isOpen ? close(true) : open()),
}, icon("chat"), badge);
const subtitle = h("p", { class: "cb-subtitle" });
const banner = h("div", { class: "cb-status", role: "status" });
const log = h("div", { class: "cb-log", role: "log", "aria-live": "off", "aria-label": T.log, tabindex: "0" });
const dot = () => h("span", { class: "cb-dot", "aria-hidden": "true" });
const typing = h("div", { class: "cb-typing", hidden: true }, dot(), dot(), dot(), h("span", { class: "cb-sr", text: T.typing }));
const notice = h("div", { class: "cb-notice", role: "status" });
const input = h("textarea", { class: "cb-input", id: "cb-input", rows: "1", maxlength: "1000", placeholder: T.placeholder, enterkeyhint: "send" });
const locBtn = button("cb-location", () => shareLocation(), T.location, icon("pin"));
const send = button("cb-send", null, T.send, icon("send"));
send.type = "submit";
const form = h("form", { class: "cb-composer", novalidate: true },
  locBtn, h("label", { class: "cb-sr", for: "cb-input", text: T.message }), input, send);
const panel = h("section", {
  class: "cb-panel", id: "cb-panel", role: "dialog", "aria-modal": "false", "aria-labelledby": "cb-title",
  lang, "data-state": "connecting", hidden: true,
},
h("div", { class: "cb-header" },
  h("div", { class: "cb-heading" }, h("h2", { class: "cb-title", id: "cb-title", text: script.dataset.title || T.title }), subtitle),
  button("cb-close", () => close(true), T.close, icon("close"))),
banner, log, typing, notice, form);
// Outside the panel, so it still speaks while the panel is closed.
const announcer = h("div", { class: "cb-announcer cb-sr", "aria-live": "polite" });
const wrap = h("div", { class: "cb-root", hidden: true }, launcher, panel, announcer);

const host = h("div", { id: "citybot-widget" });
const root = host.attachShadow({ mode: "open" });
const sheet = h("link", { rel: "stylesheet", href: new URL("widget.css", script.src).href });
// Revealed once styled, so the page never flashes an unstyled button.
for (const event of ["load", "error"]) sheet.addEventListener(event, () => { wrap.hidden = false; });
root.append(sheet, wrap);

const reducedMotion = matchMedia("(prefers-reduced-motion: reduce)");

const SESSION = "citybot.session";
const SEEN = "citybot.seen";
let session = store(SESSION);
if (!str(session?.session_id) || !str(session.token)) session = null;
let seen = Number(store(SEEN)) || 0; // the newest bot ts ever on screen
let newestBot = 0;
let ws = null;
let ready = false; // session confirmed and history shown: citizen frames may go out
let paused = false; // closed with 4408: wait for the citizen
let attempt = 0;
let needGreet = false;
let isOpen = false;
let locating = false;
let scrolledAt = 0;
let unread = []; // texts of bot messages that came while the panel was closed
const timers = {};
const outbox = new Map(); // id → {frame, label}: not acknowledged yet, in sending order
const shown = new Map();

const later = (name, fn, ms) => { clearTimeout(timers[name]); timers[name] = fn && setTimeout(fn, ms); };

function setState(state) {
  panel.dataset.state = state;
  subtitle.textContent = T[state];
  banner.textContent = state === "offline" ? (paused ? T.idle : T.reconnecting) : "";
}

function connect() {
  if (ws) return;
  later("retry");
  paused = false;
  setState(panel.dataset.state === "offline" ? "offline" : "connecting");
  try {
    ws = new WebSocket(server);
  } catch (err) {
    console.warn("citybot:", err);
    return lost();
  }
  ws.onopen = () => raw({ type: "session_request", session_id: session?.session_id ?? null, token: session?.token ?? null, lang });
  ws.onmessage = (event) => onFrame(event.data);
  ws.onclose = (event) => onClose(event.code);
}

function dropSocket() {
  if (ws) {
    ws.onopen = ws.onmessage = ws.onclose = null;
    ws.close();
  }
  ws = null;
  ready = false;
  clearInterval(timers.ping);
  typingOff();
}

function lost() {
  dropSocket();
  setState("offline");
  later("retry", connect, Math.min(15000, 1000 * 2 ** attempt++) * (0.8 + Math.random() * 0.4));
}

function onClose(code) {
  if (code === 4401 && session) { // the token no longer verifies: start a new conversation
    session = null;
    store(SESSION, null);
    dropSocket();
    return connect();
  }
  if (code !== 4408) return lost();
  dropSocket();
  paused = true;
  setState("offline");
}

// The citizen is here: connect if paused (4408) or not yet; `force` also cuts a backoff short.
function wake(force) {
  if (ws || !(session || isOpen || outbox.size) || (timers.retry && force !== true)) return;
  attempt = 0;
  connect();
}

function raw(frame) {
  if (ws?.readyState === WebSocket.OPEN) ws.send(JSON.stringify(frame));
}

function onFrame(data) {
  let f;
  try { f = JSON.parse(data); } catch { return; }
  if (f && typeof f === "object") HANDLERS.get(f.type)?.(f);
}

const HANDLERS = new Map(Object.entries({
  session_confirm: onConfirm, history: onHistory, ack: onAck, typing: (f) => showTyping(f.on),
  bot_uttered: onBot, user_uttered: onEcho, error: onError,
}));

function onConfirm(f) {
  if (!str(f.session_id) || !str(f.token)) return;
  if (!f.resumed) needGreet = true;
  session = { session_id: f.session_id, token: f.token };
  store(SESSION, session);
  if (f.limits?.max_text > 0) input.maxLength = f.limits.max_text;
  const pingSeconds = f.limits?.ping_seconds > 0 ? f.limits.ping_seconds : 20;
  attempt = 0;
  setState("online");
  clearInterval(timers.ping);
  timers.ping = setInterval(() => raw({ type: "ping" }), pingSeconds * 1000);
}

function onHistory(f) {
  renderHistory(Array.isArray(f.messages) ? f.messages : []);
  ready = true;
  for (const item of outbox.values()) raw(item.frame);
  maybeGreet();
}

function onAck({ id }) {
  if (outbox.delete(id) && shown.has(id)) setNote(shown.get(id), "");
}

function onError({ code, id, retry_after: wait }) {
  if (code === "rate_limited" && outbox.has(id)) {
    later(`r${id}`, () => ready && outbox.has(id) && raw(outbox.get(id).frame), Math.max(0.2, Number(wait) || 1) * 1000);
    if (shown.has(id)) notify(T.rateLimited);
  } else if (code === "internal" || code === "too_large" || code === "bad_message") {
    markFailed(id, { internal: T.internal, too_large: T.tooLarge }[code] || T.bad, code === "internal");
  }
}

// randomUUID exists only in secure contexts.
const newId = () => crypto.randomUUID?.() ?? Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => pad(b.toString(16))).join("");

// Kept until acknowledged; `label`: the bubble's text (null: a hidden start).
function sendUser(frame, label, bubble) {
  const id = (frame.id = newId());
  outbox.set(id, { frame, label });
  if (label != null) {
    disableChoices(log);
    pending(bubble || appendMessage({ from: "user", text: label }), id);
    scrollToBottom(true);
  }
  if (ready) raw(frame);
  else wake(true);
}

function markFailed(id, note, retry) {
  const item = outbox.get(id);
  const el = shown.get(id);
  outbox.delete(id);
  if (!el) return notify(note);
  setNote(el, note, "cb-failed", retry && item && button("cb-retry", () => {
    shown.delete(id);
    sendUser({ ...item.frame }, item.label, el);
    keepFocus();
  }, null, T.retry));
}

function shareLocation() {
  if (locating) return;
  if (!navigator.geolocation) return notify(T.geoError);
  locating = true;
  locBtn.setAttribute("aria-busy", "true");
  const done = (note) => { locating = false; locBtn.removeAttribute("aria-busy"); notify(note); };
  navigator.geolocation.getCurrentPosition((pos) => {
    done("");
    sendUser({ type: "location", latitude: pos.coords.latitude, longitude: pos.coords.longitude }, T.locationShared);
  }, (err) => done(err.code === err.PERMISSION_DENIED ? T.geoDenied : T.geoError), { timeout: 20000, maximumAge: 60000 });
}

function maybeGreet() {
  if (!needGreet || !isOpen || !ready) return;
  needGreet = false;
  // Someone who has already asked something wants the answer, not a welcome.
  if (![...outbox.values()].some((item) => item.label != null)) sendUser({ type: "user_uttered", payload: "/greet" }, null);
}

function choiceGroup(m, live) {
  const list = [m.buttons, m.quick_replies].flatMap((l) => (Array.isArray(l) ? l : []))
    .filter((b) => str(b?.payload));
  const ask = m.custom?.request_location;
  if (!list.length && !ask) return null;
  const group = h("div", { class: "cb-buttons", role: "group", "aria-label": T.choices });
  for (const { payload, title } of list) {
    const text = str(title) || payload;
    group.append(button("cb-choice", () => {
      sendUser({ type: "user_uttered", payload, title: text }, text);
      keepFocus();
    }, null, text));
  }
  // The label is the bot's own ("📍 Share my location"); `true` gets ours.
  if (ask) group.append(button("cb-choice cb-geo", () => shareLocation(), null, str(ask).trim() || `📍 ${T.location}`));
  if (!live) disableChoices(group);
  return group;
}

function disableChoices(scope) {
  for (const b of scope.querySelectorAll(".cb-buttons button")) {
    b.disabled = true;
    b.setAttribute("aria-disabled", "true");
  }
}

function buildMessage(m, live) {
  const bot = m.from === "bot";
  const text = str(m.text) || (!bot && m.location ? T.locationShared : "");
  const image = bot && safeUrl(m.image);
  const group = bot && choiceGroup(m, live);
  if (!text && !image && !group) return null;
  const el = h("div", { class: `cb-msg ${bot ? "cb-bot" : "cb-user"}` }, h("span", { class: "cb-sr", text: bot ? T.bot : T.you }));
  if (str(m.id)) el.dataset.id = m.id;
  if (text) el.append(textBlock(text, bot));
  if (image) {
    el.append(h("img", {
      class: "cb-image", src: image, alt: T.image, loading: "lazy", referrerpolicy: "no-referrer",
      onload: () => { if (el === log.lastElementChild) scrollToBottom(false); },
    }));
  }
  el.append(h("div", { class: "cb-meta" }, timeEl(Number(m.ts))));
  if (group) el.append(group);
  return el;
}

function appendMessage(m, live) {
  const stick = nearBottom(); // unless the citizen has scrolled up to read
  const el = buildMessage(m, live);
  if (!el) return null;
  log.append(el);
  if (str(m.id)) shown.set(m.id, el);
  if (m.from === "bot") newestBot = Math.max(newestBot, Number(m.ts) || 0);
  if (stick) scrollToBottom(true);
  return el;
}

// A citizen bubble: delivered, sending (cb-pending) or failed (cb-failed).
function setNote(el, text, cls, retry) {
  el.classList.remove("cb-pending", "cb-failed");
  if (cls) el.classList.add(cls);
  const meta = el.querySelector(".cb-meta");
  for (const old of meta.querySelectorAll(".cb-note, .cb-retry")) old.remove();
  if (text) meta.append(h("span", { class: "cb-note", text }));
  if (retry) meta.append(retry);
}

function pending(el, id) {
  el.dataset.id = id;
  shown.set(id, el);
  setNote(el, T.sending, "cb-pending");
}

function renderHistory(messages) {
  const list = messages.filter((m) => m?.from === "bot" || m?.from === "user");
  const known = new Set(list.map((m) => m.id));
  const waiting = [...outbox].filter(([id, item]) => item.label != null && !known.has(id));
  // Only the newest bot message's buttons still make sense, and only if nobody has answered it.
  const live = !waiting.length && list[list.length - 1]?.from === "bot" ? list.length - 1 : -1;
  log.textContent = "";
  shown.clear();
  newestBot = 0;
  const fresh = [];
  list.forEach((m, i) => {
    const el = appendMessage(m, i === live);
    if (el && m.from === "bot" && Number(m.ts) > seen) fresh.push(spoken(m));
  });
  for (const [id, item] of waiting) pending(appendMessage({ from: "user", text: item.label }), id);
  unread = [];
  arrived(fresh);
  scrollToBottom(false);
}

const spoken = (m) => str(m.text) || T.image;

// New bot messages are read out if the panel is open, else counted on the badge.
function arrived(texts) {
  if (isOpen) {
    for (const text of texts) announcer.append(h("p", { text }));
    while (announcer.childElementCount > 5) announcer.firstElementChild.remove();
    if (newestBot > seen) store(SEEN, (seen = newestBot));
  } else {
    unread.push(...texts);
  }
  const n = unread.length;
  badge.hidden = !n;
  badgeNum.textContent = n || "";
  badgeText.textContent = n ? T.unread(n) : "";
  if (n) launcher.setAttribute("aria-describedby", "cb-badge");
  else launcher.removeAttribute("aria-describedby");
}

function onBot(f) {
  showTyping(false);
  if (!shown.has(f.id) && appendMessage({ ...f, from: "bot" }, true)) arrived([spoken(f)]);
}

function onEcho(f) {
  if (!str(f.id) || shown.has(f.id)) return;
  disableChoices(log);
  appendMessage({ ...f, from: "user" });
}

function showTyping(on) {
  const stick = nearBottom();
  typing.hidden = !on;
  later("typing", on && (() => showTyping(false)), 30000); // never spin forever if "off" got lost
  if (on && stick) scrollToBottom(true);
}
const typingOff = () => showTyping(false);

function notify(text) {
  notice.textContent = text;
  later("notice", text && (() => { notice.textContent = ""; }), 10000);
}

// While a smooth scroll is still on its way down, the log counts as at the bottom.
const nearBottom = () => Date.now() - scrolledAt < 800 || log.scrollHeight - log.scrollTop - log.clientHeight < 48;

function scrollToBottom(smooth) {
  scrolledAt = Date.now();
  log.scrollTo({ top: log.scrollHeight, behavior: smooth && !reducedMotion.matches ? "smooth" : "auto" });
}

// A pressed button is disabled and loses focus: keep it in the panel (for Esc), with no phone keyboard popping up.
const keepFocus = () => log.focus({ preventScroll: true });

function autosize() {
  input.style.height = "auto";
  input.style.height = `${input.scrollHeight + input.offsetHeight - input.clientHeight}px`;
}

function open() {
  isOpen = true;
  panel.hidden = false;
  launcher.setAttribute("aria-expanded", "true");
  arrived(unread.splice(0));
  scrollToBottom(false);
  input.focus();
  wake(true);
  maybeGreet();
}

function close(returnFocus) {
  if (!isOpen) return;
  const focusInside = panel.contains(root.activeElement);
  isOpen = false;
  panel.hidden = true;
  launcher.setAttribute("aria-expanded", "false");
  if (returnFocus || focusInside) launcher.focus();
}

function submit(event) {
  event.preventDefault();
  const text = input.value.trim();
  if (!text) return;
  sendUser({ type: "user_uttered", text }, text);
  input.value = "";
  autosize();
}
form.addEventListener("submit", submit);
input.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) submit(event);
});
input.addEventListener("input", () => { autosize(); wake(); });
input.addEventListener("focus", () => wake());
panel.addEventListener("keydown", (event) => {
  if (event.key !== "Escape" || event.isComposing) return;
  event.preventDefault();
  event.stopPropagation();
  close(true);
});
document.addEventListener("visibilitychange", () => { if (!document.hidden) wake(); });
window.addEventListener("online", () => wake(true));
// Page elements marked data-citybot-open open the chat with no page script (so strict CSPs work).
document.addEventListener("click", (event) => {
  if (!(event.target instanceof Element && event.target.closest("[data-citybot-open]"))) return;
  event.preventDefault();
  open();
});

window.CityBot = Object.freeze({ open: () => open(), close: () => close(false) });

const mount = () => {
  document.body.append(host);
  if (session) connect(); // a returning visitor: news shows on the badge
};
if (document.body) mount();
else document.addEventListener("DOMContentLoaded", mount);
})();
