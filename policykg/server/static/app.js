// The analysts' page: named queries with their parameters (run, sort, download) and a YASGUI editor.
// Everything comes from this server; no request leaves it (the server's CSP says connect-src 'self').
"use strict";

const ENDPOINT = window.location.origin + "/sparql";
const state = { queries: [], current: null, results: null, sort: { column: null, descending: false } };
const $ = (id) => document.getElementById(id);

function setStatus(text, isError) {
  const el = $("nq-status");
  el.textContent = text;
  el.className = isError ? "error" : "";
}

// ---- the editor -----------------------------------------------------------------------------------------
let yasgui = null;

function startEditor() {
  if (typeof Yasgui === "undefined") {
    $("yasgui").textContent = "The query editor could not be loaded.";
    return;
  }
  // no prefix.cc / LOV lookups: the autocompleters that call other hosts are left out
  Yasgui.Yasqe.defaults.autocompleters = ["variables"];
  yasgui = new Yasgui($("yasgui"), {
    requestConfig: { endpoint: ENDPOINT, method: "POST" },
    copyEndpointOnNewTab: false,
    endpointCatalogueOptions: { getData: () => [{ endpoint: ENDPOINT }] },
    persistenceId: "policykg-yasgui",
  });
}

function openInEditor(text) {
  if (!yasgui) return;
  const tab = yasgui.getTab();
  tab.setQuery(text);
  tab.setEndpoint(ENDPOINT);
  $("editor").scrollIntoView({ behavior: "smooth" });
}

// ---- named queries --------------------------------------------------------------------------------------
function paramValues() {
  const params = new URLSearchParams();
  for (const input of $("nq-params").querySelectorAll("input")) {
    if (input.value.trim() !== "") params.append(input.name, input.value.trim());
  }
  return params;
}

function queryUrl() {
  const params = paramValues().toString();
  return "/queries/" + encodeURIComponent(state.current.name) + (params ? "?" + params : "");
}

function showQuery(name) {
  const q = state.queries.find((x) => x.name === name);
  state.current = q;
  $("nq-summary").textContent = q.summary;
  $("nq-description").textContent = q.description || "";
  const box = $("nq-params");
  box.replaceChildren();
  for (const p of q.params) {
    const label = document.createElement("label");
    label.htmlFor = "param-" + p.name;
    label.textContent = p.name + (p.required ? " *" : "");
    const input = document.createElement("input");
    input.id = "param-" + p.name;
    input.name = p.name;
    input.required = p.required;
    input.value = q.example[p.name] || "";
    input.placeholder = p.type;
    const hint = document.createElement("span");
    hint.className = "hint";
    hint.textContent = p.type + (p.required ? ", required" : ", optional") + " — " + p.description;
    box.append(label, input, hint);
  }
  if (!q.params.length) {
    const none = document.createElement("span");
    none.className = "muted";
    none.textContent = "This query has no parameters.";
    box.append(none);
  }
  clearResults();
}

function clearResults() {
  state.results = null;
  $("nq-results").replaceChildren();
  $("nq-csv").disabled = $("nq-json").disabled = true;
  setStatus("", false);
}

async function fetchText(url, accept) {
  const response = await fetch(url, { headers: { Accept: accept } });
  const body = await response.text();
  if (!response.ok) throw new Error(body.trim() || response.status + " " + response.statusText);
  return body;
}

async function runNamed(event) {
  event.preventDefault();
  clearResults();
  setStatus("Running " + state.current.name + " …", false);
  const started = performance.now();
  try {
    const data = JSON.parse(await fetchText(queryUrl(), "application/sparql-results+json"));
    state.results = { columns: data.head.vars, rows: data.results.bindings };
    state.sort = { column: null, descending: false };
    renderTable();
    const ms = Math.round(performance.now() - started);
    setStatus(data.results.bindings.length + " row(s) in " + ms + " ms", false);
    $("nq-csv").disabled = $("nq-json").disabled = false;
  } catch (err) {
    setStatus(err.message, true);
  }
}

function cellText(term) {
  if (!term) return "";
  return term.value;
}

function compareTerms(a, b) {
  const x = cellText(a), y = cellText(b);
  const nx = Number(x), ny = Number(y);
  if (x !== "" && y !== "" && !Number.isNaN(nx) && !Number.isNaN(ny)) return nx - ny;
  return x < y ? -1 : x > y ? 1 : 0; // code points: P52.22 before P52.9, as in the code tables
}

function renderTable() {
  const { columns, rows } = state.results;
  const table = $("nq-results");
  const head = document.createElement("thead");
  const tr = document.createElement("tr");
  for (const column of columns) {
    const th = document.createElement("th");
    th.textContent = column;
    th.scope = "col";
    if (state.sort.column === column) th.setAttribute("aria-sort", state.sort.descending ? "descending" : "ascending");
    th.addEventListener("click", () => sortBy(column));
    tr.append(th);
  }
  head.append(tr);
  const body = document.createElement("tbody");
  for (const row of rows) {
    const r = document.createElement("tr");
    for (const column of columns) {
      const td = document.createElement("td");
      td.textContent = cellText(row[column]);
      r.append(td);
    }
    body.append(r);
  }
  table.replaceChildren(head, body);
}

function sortBy(column) {
  const descending = state.sort.column === column ? !state.sort.descending : false;
  state.sort = { column, descending };
  state.results.rows.sort((a, b) => (descending ? -1 : 1) * compareTerms(a[column], b[column]));
  renderTable();
}

async function download(accept, extension) {
  try {
    const text = await fetchText(queryUrl(), accept);
    const link = document.createElement("a");
    link.href = URL.createObjectURL(new Blob([text], { type: accept }));
    link.download = state.current.name + "." + extension;
    document.body.append(link);
    link.click();
    link.remove();
  } catch (err) {
    setStatus(err.message, true);
  }
}

async function editNamed() {
  try {
    openInEditor(await fetchText(queryUrl(), "application/sparql-query"));
  } catch (err) {
    setStatus(err.message, true);
  }
}

async function start() {
  startEditor();
  $("nq-form").addEventListener("submit", runNamed);
  $("nq-edit").addEventListener("click", editNamed);
  $("nq-csv").addEventListener("click", () => download("text/csv", "csv"));
  $("nq-json").addEventListener("click", () => download("application/sparql-results+json", "json"));
  try {
    state.queries = JSON.parse(await fetchText("/queries", "application/json"));
  } catch (err) {
    setStatus("Cannot list the named queries: " + err.message, true);
    return;
  }
  const select = $("nq-select");
  for (const q of state.queries) {
    const option = document.createElement("option");
    option.value = q.name;
    option.textContent = q.name + " — " + q.summary;
    select.append(option);
  }
  select.addEventListener("change", () => showQuery(select.value));
  showQuery(state.queries[0].name);
  document.body.dataset.ready = "true";
}

document.addEventListener("DOMContentLoaded", start);
