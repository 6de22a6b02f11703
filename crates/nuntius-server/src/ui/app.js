// nuntius web UI: stories, one story, one article, one entity; built from the JSON API.
// Every element is created with createElement and filled with textContent: article text is
// hostile input and is never parsed as HTML.
"use strict";

const LANGS = ["ar", "bg", "cs", "de", "el", "en", "es", "fr", "hr", "hu", "it", "nl", "pl", "pt", "ro", "ru", "sl", "sv", "tr", "uk", "zh"];
const PALETTE = ["#3b6ea8", "#c0504d", "#9bbb59", "#8064a2", "#4bacc6", "#f79646", "#2c4d75", "#772c2a", "#5f7530", "#4d3b62"];
const SVG = "http://www.w3.org/2000/svg";
const PAGE = 20;

function el(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "href") node.setAttribute("href", value);
    else node.setAttribute(key, String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.appendChild(typeof child === "string" || typeof child === "number" ? document.createTextNode(String(child)) : child);
  }
  return node;
}

function svg(tag, attrs, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, String(value));
  for (const child of children) node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
  return node;
}

function storyHref(id) { return "/stories/" + encodeURIComponent(String(id)); }
function articleHref(id) { return "/articles/" + encodeURIComponent(String(id)); }
function entityHref(id) { return "/entities/" + encodeURIComponent(String(id)); }

function langColor(lang, order) {
  const i = order.indexOf(lang);
  return PALETTE[(i < 0 ? 0 : i) % PALETTE.length];
}

async function api(path) {
  const response = await fetch(path, { headers: { Accept: "application/json" } });
  let body = null;
  try { body = await response.json(); } catch (_) { body = null; }
  if (!response.ok) {
    const message = body && body.error ? body.error.code + ": " + body.error.message : "HTTP " + response.status;
    throw new Error(message);
  }
  return body;
}

// The write token, kept in this browser only (set on the Following page).
const TOKEN_KEY = "nuntius-token";
function token() { return localStorage.getItem(TOKEN_KEY) || ""; }

async function authed(method, path, body) {
  const headers = { Accept: "application/json", Authorization: "Bearer " + token() };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  let reply = null;
  try { reply = await response.json(); } catch (_) { reply = null; }
  if (!response.ok) {
    const message = reply && reply.error ? reply.error.code + ": " + reply.error.message : "HTTP " + response.status;
    throw new Error(message);
  }
  return reply;
}

// A button that follows `what` (a POST /api/follows body) and then links its Atom feed.
function followButton(what) {
  const status = el("span", { class: "follow-status muted", role: "status" });
  const button = el("button", { type: "button", class: "follow-button" }, "Follow");
  button.addEventListener("click", async () => {
    if (!token()) {
      status.replaceChildren("Set the write token on the ", el("a", { href: "/following" }, "Following"), " page first.");
      return;
    }
    button.disabled = true;
    try {
      const made = await authed("POST", "/api/follows", what);
      status.replaceChildren("Following · ", el("a", { class: "feed-link", href: made.feed }, "Atom feed"));
    } catch (error) {
      button.disabled = false;
      status.replaceChildren(String(error.message || error));
    }
  });
  return el("span", { class: "follow" }, button, " ", status);
}

// Entries of a follow's Atom feed (newest first) as {seq, title, href}.
async function feedEntries(path) {
  const response = await fetch(path, { headers: { Accept: "application/atom+xml" } });
  if (!response.ok) throw new Error("feed " + path + ": HTTP " + response.status);
  const xml = new DOMParser().parseFromString(await response.text(), "application/xml");
  return Array.from(xml.getElementsByTagName("entry")).map((entry) => {
    const id = (entry.getElementsByTagName("id")[0] || {}).textContent || "";
    const title = (entry.getElementsByTagName("title")[0] || {}).textContent || "";
    const summary = (entry.getElementsByTagName("summary")[0] || {}).textContent || "";
    const alternate = Array.from(entry.getElementsByTagName("link")).find((l) => l.getAttribute("rel") === "alternate");
    const href = alternate ? new URL(alternate.getAttribute("href"), location.href).pathname : "/";
    return { seq: Number(id.split(":").pop()) || 0, title, summary, href };
  });
}

// Each follow with the items that are new since this browser last showed it.
async function followingPage() {
  document.title = "Following · nuntius";
  const field = el("input", { type: "password", name: "token", autocomplete: "off", "aria-label": "Write token", placeholder: "write token" });
  field.value = token();
  const form = el("form", { id: "token-form", class: "token-form" }, field, el("button", { type: "submit" }, "Save token"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    localStorage.setItem(TOKEN_KEY, field.value.trim());
    route();
  });
  if (!token()) {
    show(el("h1", {}, "Following"), el("p", { class: "muted" }, "Follows need the server's write token (DATA_DIR/serve.token)."), form);
    return;
  }
  const list = await authed("GET", "/api/follows");
  const seen = JSON.parse(localStorage.getItem("nuntius-seen") || "{}");
  const items = [];
  for (const f of list.follows) {
    const entries = await feedEntries(f.feed);
    const last = Number(seen[f.id] || 0);
    const fresh = entries.filter((e) => e.seq > last);
    seen[f.id] = entries.reduce((m, e) => Math.max(m, e.seq), last);
    items.push(el("li", { class: "following", "data-follow": f.id },
      el("h2", {}, f.label),
      el("p", { class: "muted" }, `${fresh.length} new since your last visit · ${f.matches} in all · `,
        el("a", { class: "feed-link", href: f.feed }, "Atom feed")),
      el("ul", { class: "new-items" }, fresh.map((e) => el("li", {},
        el("a", { href: e.href }, e.title), e.summary ? el("span", { class: "muted" }, " · " + e.summary) : null)))));
  }
  localStorage.setItem("nuntius-seen", JSON.stringify(seen));
  show(el("h1", {}, "Following"),
    list.follows.length ? el("ol", { id: "follows", class: "follows" }, items) : el("p", { class: "muted" }, "No follows yet: use Follow on a story, entity or search page."),
    form);
}

function show(...nodes) {
  const main = document.getElementById("main");
  main.replaceChildren(...nodes);
}

function showError(error) {
  show(el("p", { class: "error", role: "alert" }, String(error.message || error)));
}

function languageBadges(languages) {
  return el("span", { class: "langs" },
    Object.entries(languages || {}).map(([lang, n]) => el("span", { class: "lang", title: n + " articles" }, lang + "×" + n)));
}

function sparkline(spark) {
  const counts = (spark && spark.counts) || [];
  const width = 120, height = 28;
  const box = svg("svg", { class: "spark", width, height, viewBox: `0 0 ${width} ${height}`, role: "img" });
  box.appendChild(svg("title", {}, counts.length ? `articles from ${spark.from} to ${spark.to}` : "undated"));
  if (!counts.length) return box;
  const max = Math.max(...counts, 1);
  const step = counts.length > 1 ? width / (counts.length - 1) : 0;
  const points = counts.map((c, i) => `${(i * step).toFixed(1)},${(height - 2 - (c / max) * (height - 4)).toFixed(1)}`);
  if (counts.length === 1) points.push(`${width},${points[0].split(",")[1]}`);
  box.appendChild(svg("polyline", { points: points.join(" "), fill: "none", stroke: "#3b6ea8", "stroke-width": 1.5 }));
  return box;
}

function dateRange(s) {
  if (!s.first_day) return "undated";
  return s.first_day === s.last_day ? s.first_day : s.first_day + " – " + s.last_day;
}

function storyCard(s) {
  return el("li", { class: "story-card", "data-story": s.id },
    el("a", { class: "headline", href: storyHref(s.id) }, s.headline || "(untitled)"),
    el("div", { class: "meta" },
      languageBadges(s.languages),
      el("span", {}, s.articles + " articles"),
      el("span", {}, s.events + " events"),
      el("span", { class: "independent" }, s.independent_sources + " independent of " + s.sources + " sources"),
      el("span", { class: "dates" }, dateRange(s)),
      sparkline(s.sparkline)));
}

function pager(total, offset, limit, go) {
  const nav = el("nav", { class: "pager" });
  if (offset > 0) {
    const prev = el("button", { type: "button" }, "← newer");
    prev.addEventListener("click", () => go(Math.max(0, offset - limit)));
    nav.appendChild(prev);
  }
  nav.appendChild(el("span", { class: "muted" }, total ? `${offset + 1}–${Math.min(offset + limit, total)} of ${total}` : "nothing found"));
  if (offset + limit < total) {
    const next = el("button", { type: "button" }, "older →");
    next.addEventListener("click", () => go(offset + limit));
    nav.appendChild(next);
  }
  return nav;
}

async function storiesPage(params) {
  const q = params.get("q") || "";
  const lang = params.get("lang") || "";
  const offset = Number(params.get("offset") || 0);
  if (q.trim()) return searchPage(q, lang, offset);
  const query = new URLSearchParams({ offset: String(offset), limit: String(PAGE) });
  if (lang) query.set("lang", lang);
  const page = await api("/api/stories?" + query);
  document.title = "Stories · nuntius";
  show(
    el("h1", {}, "Stories"),
    el("ol", { id: "stories", class: "stories" }, page.stories.map(storyCard)),
    pager(page.total, page.offset, page.limit, (o) => navigate("/?" + new URLSearchParams({ lang, offset: String(o) }))));
}

async function searchPage(q, lang, offset) {
  const query = new URLSearchParams({ q, offset: String(offset), limit: String(PAGE) });
  if (lang) query.set("lang", lang);
  const results = await api("/api/search?" + query);
  document.title = q + " · nuntius";
  const list = el("ol", { id: "search-results", class: "stories" }, results.stories.map((st) =>
    el("li", { class: "search-story" },
      el("a", { class: "headline", href: storyHref(st.story) }, "Story " + st.story + " · " + st.matched + " matching articles"),
      el("ul", { class: "hits" }, st.hits.map((h) =>
        el("li", {},
          el("a", { href: articleHref(h.id) }, h.title || h.id),
          el("p", { class: "snippet" }, highlighted(h.snippet, h.highlights))))))));
  const filter = { query: q };
  if (lang) filter.lang = lang;
  show(
    el("h1", {}, `Search: “${q}”`),
    followButton(filter),
    el("p", { class: "muted" }, `${results.total_hits} articles in ${results.total_stories} stories`),
    list,
    pager(results.total_stories, offset, PAGE, (o) => navigate("/?" + new URLSearchParams({ q, lang, offset: String(o) }))));
}

// Snippet with byte-range highlights: ranges are UTF-8 bytes, so walk the encoded bytes.
function highlighted(snippet, ranges) {
  const p = el("span", {});
  if (!snippet) return p;
  const bytes = new TextEncoder().encode(snippet);
  const decode = (a, b) => new TextDecoder().decode(bytes.slice(a, b));
  let at = 0;
  for (const [start, end] of ranges || []) {
    if (start < at || end > bytes.length) continue;
    p.appendChild(document.createTextNode(decode(at, start)));
    p.appendChild(el("mark", {}, decode(start, end)));
    at = end;
  }
  p.appendChild(document.createTextNode(decode(at, bytes.length)));
  return p;
}

function timelineChart(timeline, order) {
  const days = timeline.days || [];
  const width = 720, height = 150, left = 30, bottom = 34, top = 8;
  const chart = svg("svg", { id: "timeline", class: "timeline", width: "100%", viewBox: `0 0 ${width} ${height}`, role: "img" });
  chart.appendChild(svg("title", {}, "Articles per day per language"));
  if (!days.length) {
    chart.appendChild(svg("text", { x: left, y: height / 2, class: "axis" }, "no dated articles"));
    return chart;
  }
  const totals = days.map((d) => Object.values(d.languages).reduce((a, b) => a + b, 0));
  const max = Math.max(...totals, 1);
  const slot = (width - left - 10) / days.length;
  const barWidth = Math.max(2, Math.min(40, slot * 0.7));
  chart.appendChild(svg("line", { x1: left, y1: height - bottom, x2: width - 5, y2: height - bottom, class: "axis-line" }));
  chart.appendChild(svg("text", { x: 2, y: top + 10, class: "axis" }, String(max)));
  days.forEach((d, i) => {
    let y = height - bottom;
    const x = left + i * slot + (slot - barWidth) / 2;
    for (const [lang, n] of Object.entries(d.languages)) {
      const h = (n / max) * (height - bottom - top);
      y -= h;
      const rect = svg("rect", { x: x.toFixed(1), y: y.toFixed(1), width: barWidth.toFixed(1), height: h.toFixed(1), fill: langColor(lang, order) });
      rect.appendChild(svg("title", {}, `${d.date}: ${n} ${lang}`));
      chart.appendChild(rect);
    }
    if (days.length <= 12 || i % Math.ceil(days.length / 12) === 0) {
      chart.appendChild(svg("text", { x: (x + barWidth / 2).toFixed(1), y: height - bottom + 14, class: "axis", "text-anchor": "middle" }, d.date));
    }
  });
  return chart;
}

function legend(order) {
  return el("div", { class: "legend" }, order.map((lang) =>
    el("span", { class: "legend-item" }, el("span", { class: "swatch", "data-color": langColor(lang, order) }), lang)));
}

function entityChips(entities) {
  return el("div", { class: "chips" }, (entities || []).map((e) =>
    el("a", { class: "chip chip-" + e.kind, href: entityHref(e.id), title: e.kind + ", " + e.articles + " articles" }, e.name)));
}

function signals(why) {
  if (!why) return null;
  const evidence = why.evidence || why;
  const list = el("ul", { class: "signals" });
  for (const s of evidence.signals || []) {
    list.appendChild(el("li", {}, `${s.name}: ${Number(s.value).toFixed(2)} (+${Number(s.contribution).toFixed(2)})`));
  }
  for (const d of evidence.details || []) list.appendChild(el("li", { class: "detail" }, String(d)));
  const score = typeof evidence.score === "number" ? `score ${evidence.score.toFixed(2)} ≥ ${Number(evidence.threshold).toFixed(2)}` : "";
  return el("div", { class: "why" }, score ? el("p", { class: "muted" }, score) : null, list);
}

function articleRow(a) {
  const badges = [];
  for (const origin of a.copies || []) {
    badges.push(el("a", { class: "badge copy-badge", href: articleHref(origin), title: "copies passages of " + origin }, "copies " + origin));
  }
  if (a.duplicate_of) badges.push(el("a", { class: "badge dup-badge", href: articleHref(a.duplicate_of) }, "duplicate of " + a.duplicate_of));
  const row = el("li", { class: "article-row", "data-article": a.id },
    el("span", { class: "lang" }, a.lang || "?"),
    el("span", { class: "source" }, a.source || ""),
    el("span", { class: "date", title: a.published_from ? "date from " + a.published_from : "" },
      a.published ? a.published.slice(0, 10) + (a.published_from === "inferred" ? " (inferred)" : "") : "undated"),
    el("a", { class: "title", href: articleHref(a.id) }, a.title || a.id),
    badges);
  if (a.why) {
    const details = el("details", { class: "article-why" }, el("summary", {}, "why in this event"), signals(a.why));
    row.appendChild(details);
  }
  return row;
}

async function storyPage(id) {
  const d = await api("/api/stories/" + encodeURIComponent(id));
  const s = d.story;
  document.title = s.headline + " · nuntius";
  const order = Object.keys(s.languages || {});
  const events = el("ol", { id: "events", class: "events" }, d.events.map((ev) =>
    el("li", { class: "event", id: "event-" + ev.event, "data-event": ev.event },
      el("h3", { class: "event-headline" }, ev.headline || "event " + ev.event),
      el("p", { class: "muted event-meta" }, (ev.date ? ev.date : "undated") + " · event " + ev.event + " · " + ev.article_count + " articles"),
      Object.entries(ev.headlines || {}).filter(([, title]) => title !== ev.headline).map(([lang, title]) =>
        el("p", { class: "event-other-headline", lang: lang }, el("span", { class: "lang" }, lang), " ", title)),
      (ev.linked || []).length ? el("p", { class: "muted event-linked" }, "The same happening in other languages: ",
        ev.linked.map((x, i) => [i ? ", " : "", el("a", { href: "#event-" + x }, "event " + x)])) : null,
      el("ul", { class: "articles" }, ev.articles.map(articleRow)),
      ev.more_articles ? el("p", { class: "muted" }, `… and ${ev.more_articles} more`) : null,
      ev.why_in_story ? el("details", { class: "why-together" }, el("summary", {}, "why this event is in the story"), signals(ev.why_in_story)) : null)));
  const origins = el("section", { class: "panel", id: "origins" },
    el("h2", {}, "Independent sources and copies"),
    el("p", {}, `${d.origins.independent.length} independent, ${d.origins.copies.length} copies or duplicates`),
    el("ul", {}, d.origins.copies.map((c) => el("li", {},
      el("a", { href: articleHref(c.id) }, c.id), " (" + (c.source || "?") + ") copies ",
      (c.copies.length ? c.copies : [c.duplicate_of]).join(", ")))));
  const why = el("section", { class: "panel", id: "why-together" },
    el("h2", {}, "Why together"),
    el("p", { class: "muted" }, "Each event joined the story on these signals; open an article's details for why it joined its event."),
    el("ul", {}, d.events.filter((ev) => ev.why_in_story).map((ev) =>
      el("li", {}, el("strong", {}, "event " + ev.event + ": "), signals(ev.why_in_story)))));
  show(
    el("p", {}, el("a", { href: "/" }, "← all stories")),
    el("h1", { id: "story-headline" }, s.headline),
    followButton({ story: s.id }),
    el("div", { class: "meta" }, languageBadges(s.languages), el("span", {}, s.articles + " articles"),
      el("span", {}, s.events + " events"), el("span", {}, s.independent_sources + " independent of " + s.sources + " sources"),
      el("span", {}, dateRange(s))),
    entityChips(d.entities),
    el("section", { class: "panel" }, el("h2", {}, "Timeline"), timelineChart(d.timeline, order), legend(order),
      d.timeline.undated ? el("p", { class: "muted" }, d.timeline.undated + " undated articles") : null),
    el("section", {}, el("h2", {}, "Events"), events),
    origins,
    why);
  paintSwatches();
}

// Swatch colours come from a fixed palette; set them as properties (no inline style attributes).
function paintSwatches() {
  for (const sw of document.querySelectorAll(".swatch[data-color]")) sw.style.backgroundColor = sw.getAttribute("data-color");
}

async function articlePage(id) {
  const a = await api("/api/articles/" + encodeURIComponent(id));
  document.title = (a.title || a.id) + " · nuntius";
  const text = el("div", { id: "article-text", class: "article-text" }, a.segments.map((seg) => {
    if (!seg.copied_from.length && !seg.copied_by.length) return el("span", {}, seg.text);
    const parts = [];
    if (seg.copied_from.length) parts.push("copied from " + seg.copied_from.join(", "));
    if (seg.copied_by.length) parts.push("copied by " + seg.copied_by.join(", "));
    return el("mark", { class: seg.copied_from.length ? "copied-from" : "copied-by", title: parts.join("; ") }, seg.text);
  }));
  const relation = (title, list, cls) => list.length ? el("section", { class: "panel " + cls }, el("h2", {}, title),
    el("ul", {}, list.map((o) => el("li", {}, el("a", { href: articleHref(o.id) }, o.title || o.id), ` (${o.source || "?"}, ${o.chars} characters)`)))) : null;
  show(
    el("p", {}, el("a", { href: storyHref(a.story) }, "← story " + a.story)),
    el("h1", { id: "article-title" }, a.title || a.id),
    el("div", { class: "meta" },
      el("span", { class: "lang" }, a.lang || "?"),
      el("span", {}, a.source || ""),
      el("span", {}, a.published ? a.published + (a.published_from ? " (" + a.published_from + ")" : "") : "undated"),
      a.url ? el("a", { href: /^https?:\/\//i.test(a.url) ? a.url : "#", rel: "noopener noreferrer nofollow" }, "original") : null,
      a.duplicate_of ? el("a", { class: "badge dup-badge", href: articleHref(a.duplicate_of) }, "duplicate of " + a.duplicate_of) : null),
    el("div", { class: "chips" }, a.entities.map((e) => el("a", { class: "chip chip-" + e.kind, href: entityHref(e.id), title: e.mentions.join(", ") }, e.name))),
    relation("Copied from", a.copied_from_articles, "copied-from-panel"),
    relation("Copied by", a.copied_by, "copied-by-panel"),
    text);
}

async function entityPage(id) {
  const e = await api("/api/entities/" + encodeURIComponent(id));
  document.title = e.name + " · nuntius";
  show(
    el("h1", {}, e.name),
    followButton({ entity: e.id }),
    el("p", { class: "muted" }, `${e.kind}, mentioned in ${e.article_count} articles`),
    el("h2", {}, "Spellings"),
    el("ul", { class: "spellings" }, e.spellings.map((s) => el("li", {}, `${s.spelling} (${s.count})`))),
    el("h2", {}, "Latest articles"),
    el("ul", {}, e.articles.map((a) => el("li", {}, el("span", { class: "lang" }, a.lang || "?"), " ",
      el("a", { href: articleHref(a.id) }, a.title || a.id), " · ", el("a", { href: storyHref(a.story) }, "story " + a.story)))));
}

// The crawler's sources and their state (`/api/sources`).
async function sourcesPage() {
  const list = await api("/api/sources");
  document.title = "Sources · nuntius";
  const cell = (v) => el("td", {}, v === null || v === undefined ? "–" : String(v));
  show(
    el("h1", {}, "Sources"),
    el("p", { class: "muted" }, `${list.total} sources polled by the crawler (nuntius crawl, serve --crawl)`),
    el("table", { class: "sources", id: "sources-table" },
      el("thead", {}, el("tr", {}, ["Source", "Kind", "Status", "Last fetch", "Next poll", "Seen", "New", "Errors"].map((h) => el("th", {}, h)))),
      el("tbody", {}, list.sources.map((s) => el("tr", {},
        el("td", {}, el("a", { href: /^https?:\/\//i.test(s.url) ? s.url : "#", rel: "noopener noreferrer nofollow" }, s.url)),
        cell(s.kind), cell(s.status), cell(s.last_fetch), cell(s.next_poll),
        cell(s.items_seen), cell(s.items_new), cell(s.errors))))));
}

function route() {
  const path = location.pathname;
  const params = new URLSearchParams(location.search);
  const form = document.getElementById("search-form");
  form.elements.q.value = params.get("q") || "";
  form.elements.lang.value = params.get("lang") || "";
  let m;
  let work;
  if ((m = path.match(/^\/stories\/([^/]+)$/))) work = storyPage(decodeURIComponent(m[1]));
  else if ((m = path.match(/^\/articles\/([^/]+)$/))) work = articlePage(decodeURIComponent(m[1]));
  else if ((m = path.match(/^\/entities\/([^/]+)$/))) work = entityPage(decodeURIComponent(m[1]));
  else if (path === "/following") work = followingPage();
  else if (path === "/sources") work = sourcesPage();
  else work = storiesPage(params);
  work.catch(showError);
}

function navigate(url) {
  history.pushState(null, "", url);
  route();
  window.scrollTo(0, 0);
}

document.addEventListener("DOMContentLoaded", () => {
  const select = document.querySelector("#search-form select[name=lang]");
  for (const lang of LANGS) select.appendChild(el("option", { value: lang }, lang));
  document.getElementById("search-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const data = new FormData(event.target);
    const params = new URLSearchParams();
    for (const [k, v] of data) if (String(v).trim()) params.set(k, String(v));
    navigate("/?" + params);
  });
  // Links inside the app navigate without a reload.
  document.body.addEventListener("click", (event) => {
    const link = event.target.closest("a");
    if (!link || link.origin !== location.origin || event.ctrlKey || event.metaKey || event.button !== 0) return;
    // Feeds are documents of their own, not pages of the app.
    if (link.pathname.startsWith("/feeds/")) return;
    // A link within this page (a linked event) scrolls, as the browser does.
    if (link.pathname === location.pathname && link.search === location.search && link.hash) return;
    event.preventDefault();
    navigate(link.pathname + link.search);
  });
  window.addEventListener("popstate", route);
  route();
});
