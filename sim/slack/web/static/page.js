// The emulator's Slack page: one channel, its threads, the acting user's ephemeral messages and
// modals, kept live from the emulator's change stream. The server draws every message and modal
// as escaped HTML (sim/slack/web/markup.py); this script places it, and sends what the user
// does back as that user through the emulator's driver (signed, exactly as Slack sends it).
"use strict";

const API = "/page/api";
const MAX_COMPLETIONS = 8;

const state = {
  workspace: null,   // WorkspaceSnapshot
  user: null,        // acting user's id
  channel: null,     // shown channel's id
  thread: null,      // {channel, ts} of the open thread, or null
  sidebar: [],       // ChannelEntry list of the acting user
  events: null,      // EventSource
  modal: null,       // signature of the modal on screen
};

const $ = (id) => document.getElementById(id);

// --- talking to the emulator ------------------------------------------------------------------

async function call(method, path, body) {
  const response = await fetch(API + path, {
    method,
    headers: body === undefined ? {} : { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const answer = await response.json();
  if (!response.ok) throw new Error(answer.message || `${method} ${path}: ${response.status}`);
  return answer;
}

const asUser = (path) => `${path}${path.includes("?") ? "&" : "?"}user=${encodeURIComponent(state.user)}`;

function toast(message) {
  const note = document.createElement("div");
  note.className = "toast";
  note.textContent = message;
  $("toasts").append(note);
  setTimeout(() => note.remove(), 6000);
}

// An action's Outcome: a refusal is said in the emulator's or the app's own words.
function report(outcome) {
  if (!outcome.ok && outcome.message) toast(outcome.message);
  return outcome;
}

async function attempt(work) {
  try {
    return await work();
  } catch (error) {
    toast(error.message);
    return null;
  }
}

// --- refreshing what changed -------------------------------------------------------------------

// Changes come in bursts (a post, then an edit); each part of the page is read again at most
// once per burst, and a slower, older answer never overwrites a newer one.
const pending = new Set();
const generation = { sidebar: 0, channel: 0, thread: 0, views: 0 };
const refreshers = { sidebar: refreshSidebar, channel: refreshChannel, thread: refreshThread, views: refreshViews };

function schedule(...parts) {
  if (pending.size === 0) setTimeout(flush, 30);
  parts.forEach((part) => pending.add(part));
}

function flush() {
  const parts = [...pending];
  pending.clear();
  parts.forEach((part) => attempt(() => refreshers[part]()));
}

async function latest(part, read) {
  const mine = ++generation[part];
  const answer = await read();
  return mine === generation[part] ? answer : null;
}

function connect() {
  if (state.events) state.events.close();
  setLive(false);  // until the new stream's hello
  const events = new EventSource(asUser(`${API}/events`));
  events.addEventListener("hello", () => {
    setLive(true);
    schedule("sidebar", "channel", "thread", "views");
  });
  events.addEventListener("change", (event) => onChange(JSON.parse(event.data)));
  events.onerror = () => setLive(false);  // EventSource reconnects by itself
  state.events = events;
}

function setLive(live) {
  $("connection").classList.toggle("live", live);
  $("connection").title = live ? "Live updates: on" : "Live updates: reconnecting";
}

function onChange(change) {
  if (change.kind.startsWith("view_")) return schedule("views");
  if (!change.channel) return;
  if (!state.sidebar.some((c) => c.id === change.channel)) schedule("sidebar");
  if (change.channel === state.channel) schedule("channel");
  else if (change.kind.endsWith("_posted")) markUnread(change.channel);
  if (state.thread && change.channel === state.thread.channel) schedule("thread");
}

// --- sidebar and user switcher ----------------------------------------------------------------

function fillSwitcher() {
  const switcher = $("user-switcher");
  switcher.replaceChildren(...state.workspace.users.map((user) => {
    const option = new Option(`${user.name} (${user.real_name})`, user.id);
    option.selected = user.id === state.user;
    return option;
  }));
  switcher.addEventListener("change", () => {
    state.user = switcher.value;
    state.modal = null;
    remember();
    connect();  // its hello reads everything again, as the new user
  });
}

async function refreshSidebar() {
  const sidebar = await latest("sidebar", () => call("GET", asUser("/channels")));
  if (!sidebar) return;
  state.sidebar = sidebar.channels;
  const link = (channel) => {
    const a = document.createElement("a");
    a.href = `?as=${encodeURIComponent(userName(state.user))}&channel=${encodeURIComponent(channel.id)}`;
    a.textContent = channel.is_im ? channel.name : `${channel.is_private ? "\u{1F512} " : "# "}${channel.name}`;
    a.dataset.channel = channel.id;
    a.classList.toggle("current", channel.id === state.channel);
    a.addEventListener("click", (event) => {
      event.preventDefault();
      showChannel(channel.id);
    });
    const item = document.createElement("li");
    item.append(a);
    return item;
  };
  $("channel-list").replaceChildren(...sidebar.channels.filter((c) => !c.is_im).map(link));
  const direct = sidebar.channels.filter((c) => c.is_im);
  $("dm-list").replaceChildren(...direct.map(link));
  $("dm-heading").hidden = direct.length === 0;
}

function markUnread(channelId) {
  document.querySelectorAll(`.sidebar a[data-channel="${CSS.escape(channelId)}"]`)
    .forEach((a) => a.classList.add("unread"));
}

function showChannel(channelId) {
  state.channel = channelId;
  $("messages").replaceChildren();
  document.querySelectorAll(".sidebar a").forEach((a) => {
    a.classList.toggle("current", a.dataset.channel === channelId);
    if (a.dataset.channel === channelId) a.classList.remove("unread");
  });
  remember();
  schedule("channel");
}

function userName(id) {
  const user = state.workspace.users.find((u) => u.id === id);
  return user ? user.name : id;
}

// The acting user and channel live in the address, so a reload or a second tab keeps them.
function remember() {
  const params = new URLSearchParams(location.search);
  params.set("as", userName(state.user));
  params.set("channel", state.channel);
  history.replaceState(null, "", `?${params}`);
}

// --- messages and threads ------------------------------------------------------------------------

async function refreshChannel() {
  const shown = state.channel;
  const snapshot = await latest("channel", () => call("GET", asUser(`/channels/${encodeURIComponent(shown)}`)));
  if (!snapshot || shown !== state.channel) return;
  const channel = snapshot.channel;
  $("channel-title").textContent = channel.is_im ? channel.name : `#${channel.name}`;
  $("channel-note").textContent = channel.bot_is_member ? "" : `${state.workspace.bot.name} is not in this channel`;
  $("older").hidden = snapshot.older === 0;
  $("older").textContent = `${snapshot.older} older messages are not shown.`;
  placeItems($("messages"), $("channel-scroller"), snapshot.items);
  const composer = $("composer");
  composer.classList.toggle("disabled", !snapshot.is_member);
  $("composer-input").disabled = !snapshot.is_member;
  $("composer-input").placeholder = snapshot.is_member
    ? `Message ${$("channel-title").textContent}, or type / for commands`
    : `${userName(state.user)} is not in ${$("channel-title").textContent}`;
}

async function refreshThread() {
  const open = state.thread;
  if (!open) return;
  const path = `/channels/${encodeURIComponent(open.channel)}/threads/${encodeURIComponent(open.ts)}`;
  let snapshot;
  try {
    snapshot = await latest("thread", () => call("GET", asUser(path)));
  } catch (error) {
    closeThread();  // the parent message was deleted
    throw error;
  }
  if (!snapshot || state.thread !== open) return;
  $("thread-channel").textContent = `#${snapshot.channel.name}`;
  placeItems($("thread-parent"), null, [{ ...snapshot.parent, reply_count: 0 }], { inThread: true });
  const replies = snapshot.replies.filter((r) => r.kind === "message").length;
  $("thread-count").textContent = replies === 1 ? "1 reply" : `${replies} replies`;
  placeItems($("thread-messages"), $("thread-scroller"), snapshot.replies, { inThread: true });
}

function openThread(channel, ts) {
  state.thread = { channel, ts };
  $("thread").hidden = false;
  $("thread-parent").replaceChildren();
  $("thread-messages").replaceChildren();
  schedule("thread");
  $("thread-input").focus();
}

function closeThread() {
  state.thread = null;
  $("thread").hidden = true;
}

// Places items in order, redrawing only those that changed (which flash), so that an edit of
// the bot's status message does not disturb the rest of the page.
function placeItems(container, scroller, items, options = {}) {
  const atBottom = scroller && scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 40;
  const first = container.childElementCount === 0;
  const keep = new Set();
  let previous = null;
  for (const item of items) {
    const key = `${item.kind}:${item.ts}`;
    const signature = JSON.stringify(item);
    keep.add(key);
    let element = container.querySelector(`:scope > [data-key="${CSS.escape(key)}"]`);
    if (!element || element.dataset.signature !== signature) {
      const drawn = drawItem(item, options);
      drawn.dataset.key = key;
      drawn.dataset.signature = signature;
      if (!first) drawn.classList.add("flash");
      if (element) element.replaceWith(drawn);
      element = drawn;
    }
    if (previous ? previous.nextElementSibling !== element : container.firstElementChild !== element) {
      if (previous) previous.after(element);
      else container.prepend(element);
    }
    previous = element;
  }
  [...container.children].forEach((child) => {
    if (!keep.has(child.dataset.key)) child.remove();
  });
  if (scroller && (atBottom || first)) scroller.scrollTop = scroller.scrollHeight;
}

function drawItem(item, { inThread = false } = {}) {
  const article = document.createElement("article");
  article.className = `msg ${item.kind}${item.author.is_bot ? " bot" : ""}`;
  article.dataset.source = item.ts;
  article.dataset.channel = item.channel;

  const avatar = document.createElement("div");
  avatar.className = "avatar";
  avatar.textContent = item.author.real_name.slice(0, 1).toUpperCase();

  const main = document.createElement("div");
  main.className = "msg-main";
  const meta = document.createElement("div");
  meta.className = "msg-meta";
  meta.append(textElement("span", "author", item.author.real_name));
  if (item.author.is_bot) meta.append(textElement("span", "badge", "APP"));
  meta.append(timeElement(item.posted_at));
  main.append(meta);
  if (item.kind === "ephemeral") main.append(textElement("div", "only-you", "\u{1F441} Only visible to you"));

  // Each message is its own form: radio buttons of two messages never share a group.
  const body = document.createElement("form");
  body.className = "msg-body";
  body.innerHTML = item.html;  // drawn and escaped by the server
  body.addEventListener("submit", (event) => event.preventDefault());
  main.append(body);
  if (item.edited_at && item.kind === "message") main.append(textElement("span", "edited", "(edited)"));
  if (item.files.length) main.append(drawFiles(item.files));
  if (item.reply_count > 0 && !inThread) main.append(drawThreadLink(item));
  article.append(avatar, main);

  if (item.kind === "message" && !item.thread_ts && !inThread) {
    const reply = textElement("button", "reply-action", "\u{1F4AC} Reply");
    reply.type = "button";
    reply.addEventListener("click", () => openThread(item.channel, item.ts));
    article.append(reply);
  }
  return article;
}

function drawThreadLink(item) {
  const link = document.createElement("div");
  link.className = "thread-link";
  const open = textElement("button", "replies", item.reply_count === 1 ? "1 reply" : `${item.reply_count} replies`);
  open.type = "button";
  open.addEventListener("click", () => openThread(item.channel, item.ts));
  link.append(open, textElement("span", "", `Last reply ${clock(item.last_reply_at)}`));
  return link;
}

function drawFiles(files) {
  const list = document.createElement("div");
  list.className = "files";
  for (const file of files) {
    const link = document.createElement(file.uploaded ? "a" : "span");
    link.className = "file";
    if (file.uploaded) {
      link.href = file.url;
      link.target = "_blank";
      link.rel = "noopener";
    }
    link.append(textElement("span", "", `\u{1F4C4} ${file.title}`));
    link.append(textElement("span", "file-size", file.uploaded ? bytes(file.size) : "upload incomplete"));
    list.append(link);
  }
  return list;
}

function textElement(tag, className, text) {
  const element = document.createElement(tag);
  if (className) element.className = className;
  element.textContent = text;
  return element;
}

function timeElement(iso) {
  const time = document.createElement("time");
  time.dateTime = iso;
  time.title = new Date(iso).toLocaleString();
  time.textContent = clock(iso);
  return time;
}

const clock = (iso) => new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
const bytes = (n) => (n < 1024 ? `${n} B` : `${(n / 1024).toFixed(1)} KB`);

// --- clicks, selects and confirmation dialogs -------------------------------------------------

async function act(element, actionId, value) {
  const holder = element.closest(".sk-element");
  const template = holder && holder.querySelector(":scope > template.sk-confirm");
  if (template && !(await confirmed(template))) return false;
  const source = element.closest("[data-source]").dataset.source;
  const outcome = await attempt(() => call("POST", "/clicks", { user: state.user, source, action_id: actionId, value }));
  if (outcome) report(outcome);
  return true;
}

function confirmed(template) {
  const dialog = $("confirm-dialog");
  $("confirm-body").replaceChildren(template.content.cloneNode(true));
  $("confirm-accept").textContent = template.dataset.confirm;
  $("confirm-accept").classList.toggle("danger", template.dataset.style === "danger");
  $("confirm-deny").textContent = template.dataset.deny;
  return new Promise((resolve) => {
    const finish = (answer) => {
      $("confirm-accept").onclick = $("confirm-deny").onclick = dialog.oncancel = null;
      dialog.close();
      resolve(answer);
    };
    $("confirm-accept").onclick = () => finish(true);
    $("confirm-deny").onclick = () => finish(false);
    dialog.oncancel = (event) => { event.preventDefault(); finish(false); };
    dialog.showModal();
  });
}

function onClick(event) {
  const option = event.target.closest(".sk-overflow-option");
  if (option) {
    const menu = option.closest("details[data-action-id]");
    menu.open = false;
    return act(menu, menu.dataset.actionId, option.dataset.value);
  }
  const button = event.target.closest("button[data-action-id]");
  if (!button) return;
  if (button.dataset.url) window.open(button.dataset.url, "_blank", "noopener");
  button.disabled = true;  // one click, one delivery, as in Slack while it waits for the app
  act(button, button.dataset.actionId, button.dataset.value || null)
    .finally(() => { button.disabled = false; });
}

async function onChoose(event) {
  const select = event.target.closest("select[data-action-id]");
  if (select) {
    const sent = await act(select, select.dataset.actionId, select.value);
    if (!sent) select.value = select.querySelector("option[selected]")?.value ?? "";
    return;
  }
  const radios = event.target.closest(".sk-choices[data-action-id]");
  if (radios && event.target.checked) act(radios, radios.dataset.actionId, event.target.value);
}

// --- modals ------------------------------------------------------------------------------------

async function refreshViews() {
  const answer = await latest("views", () => call("GET", asUser("/views")));
  if (!answer) return;
  const dialog = $("modal-dialog");
  const view = answer.views[answer.views.length - 1];
  if (!view) {
    state.modal = null;
    if (dialog.open) dialog.close();
    return;
  }
  const signature = JSON.stringify(view);
  if (signature === state.modal && dialog.open) return;  // keep what the user is typing
  state.modal = signature;
  dialog.dataset.source = view.id;
  $("modal-title").innerHTML = view.title;  // drawn and escaped by the server
  $("modal-body").innerHTML = view.html;
  $("modal-error").hidden = true;
  $("modal-close").textContent = view.close;
  $("modal-submit").hidden = view.submit === null;
  $("modal-submit").textContent = view.submit || "";
  if (!dialog.open) dialog.showModal();
}

// The inputs as Slack's client submits them: "block_id/action_id" -> value (null when empty).
function modalValues() {
  const values = {};
  for (const input of $("modal-body").querySelectorAll("[name]")) {
    const name = input.name;
    if (input.type === "checkbox") {
      values[name] = values[name] || [];
      if (input.checked) values[name].push(input.value);
    } else if (input.type === "radio") {
      if (input.checked || !(name in values)) values[name] = input.checked ? input.value : null;
    } else {
      values[name] = input.value === "" ? null : input.value;
    }
  }
  return values;
}

async function submitModal(event) {
  event.preventDefault();
  const form = $("modal-form");
  document.querySelectorAll("#modal-body .sk-input-error").forEach((e) => { e.hidden = true; });
  if (!form.checkValidity()) return form.reportValidity();
  const viewId = $("modal-dialog").dataset.source;
  const outcome = await attempt(() => call("POST", `/views/${encodeURIComponent(viewId)}/submit`, { user: state.user, values: modalValues() }));
  if (!outcome) return;
  for (const [blockId, message] of Object.entries(outcome.errors)) {
    const shown = document.querySelector(`#modal-body .sk-input[data-block-id="${CSS.escape(blockId)}"] .sk-input-error`);
    if (shown) {
      shown.textContent = message;
      shown.hidden = false;
    }
  }
  if (!outcome.ok && outcome.message) {
    $("modal-error").textContent = outcome.message;
    $("modal-error").hidden = false;
  }
}

async function closeModal(event) {
  if (event) event.preventDefault();
  const viewId = $("modal-dialog").dataset.source;
  const outcome = await attempt(() => call("POST", `/views/${encodeURIComponent(viewId)}/close`, { user: state.user }));
  if (outcome) report(outcome);
}

// --- composers: slash commands, messages, completion ---------------------------------------------

function setUpComposer(form, input, threadTs) {
  const list = form.querySelector(".completions");
  let choices = [];
  let active = 0;

  const currentWord = () => {
    const before = input.value.slice(0, input.selectionStart);
    if (!before.startsWith("/")) return null;
    const words = before.split(/\s+/);
    return { words, word: words[words.length - 1] };
  };

  const candidates = () => {
    const typed = currentWord();
    if (!typed) return [];
    const { commands, words } = state.workspace.completions;
    let pool;
    if (typed.words.length === 1) pool = Object.keys(commands);
    else if (typed.words.length === 2) pool = commands[typed.words[0]] || [];
    else if (typed.word) pool = words;
    else return [];  // after the verb, only what the user starts to type is completed
    return pool.filter((c) => c.startsWith(typed.word) && c !== typed.word).slice(0, MAX_COMPLETIONS);
  };

  const show = () => {
    choices = candidates();
    active = 0;
    list.hidden = choices.length === 0;
    list.replaceChildren(...choices.map((choice, index) => {
      const item = textElement("li", index === active ? "active" : "", choice);
      item.setAttribute("role", "option");
      item.addEventListener("mousedown", (event) => {
        event.preventDefault();
        accept(choice);
      });
      return item;
    }));
  };

  const accept = (choice) => {
    const caret = input.selectionStart;
    const before = input.value.slice(0, caret).replace(/\S*$/, `${choice} `);
    input.value = before + input.value.slice(caret).replace(/^\S*\s?/, "");
    input.setSelectionRange(before.length, before.length);
    show();
  };

  const move = (step) => {
    active = (active + step + choices.length) % choices.length;
    [...list.children].forEach((item, index) => item.classList.toggle("active", index === active));
  };

  input.addEventListener("input", show);
  input.addEventListener("blur", () => { list.hidden = true; });
  input.addEventListener("keydown", (event) => {
    const open = !list.hidden && choices.length > 0;
    if (open && event.key === "ArrowDown") { event.preventDefault(); move(1); }
    else if (open && event.key === "ArrowUp") { event.preventDefault(); move(-1); }
    else if (open && (event.key === "Tab" || event.key === "Enter")) { event.preventDefault(); accept(choices[active]); }
    else if (open && event.key === "Escape") { list.hidden = true; }
    else if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); form.requestSubmit(); }
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    const channel = threadTs() ? state.thread.channel : state.channel;
    let outcome;
    if (text.startsWith("/")) {
      const [command, ...rest] = text.split(/\s+/);
      outcome = await attempt(() => call("POST", "/slash", { user: state.user, channel, command, text: rest.join(" ") }));
    } else {
      outcome = await attempt(() => call("POST", "/messages", { user: state.user, channel, text, thread_ts: threadTs() }));
    }
    if (outcome) {
      report(outcome);
      input.value = "";
      list.hidden = true;
    }
  });
}

// --- start ---------------------------------------------------------------------------------------

async function start() {
  state.workspace = await call("GET", "/workspace");
  document.title = `${state.workspace.team_name} - Slack emulator`;
  $("team-name").textContent = state.workspace.team_name;
  const params = new URLSearchParams(location.search);
  const asked = params.get("as");
  const user = state.workspace.users.find((u) => u.id === asked || u.name === asked);
  state.user = user ? user.id : state.workspace.default_user;
  fillSwitcher();
  await refreshSidebar();
  const wanted = params.get("channel");
  const channel = state.sidebar.find((c) => c.id === wanted || c.name === wanted);
  showChannel(channel ? channel.id : state.workspace.default_channel);

  document.addEventListener("click", onClick);
  document.addEventListener("change", onChoose);
  $("thread-close").addEventListener("click", closeThread);
  $("modal-form").addEventListener("submit", submitModal);
  $("modal-close").addEventListener("click", closeModal);
  $("modal-dialog").addEventListener("cancel", closeModal);
  setUpComposer($("composer"), $("composer-input"), () => null);
  setUpComposer($("thread-composer"), $("thread-input"), () => state.thread && state.thread.ts);
  connect();
}

start().catch((error) => toast(`The page could not start: ${error.message}`));
