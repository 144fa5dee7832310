/**
 * GET /docs: an interactive reference with no external resources (the worker may run where
 * there is no CDN). The page lists the operations of /openapi.json and sends requests with a
 * token typed into the page; the token stays in the tab (sessionStorage), never in a cookie.
 */

export const DOCS_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>omisell-push · API reference</title>
<link rel="stylesheet" href="/docs/docs.css">
<link rel="icon" href="/dashboard/favicon.svg" type="image/svg+xml">
<script src="/docs/app.js" defer></script>
</head>
<body>
<header>
  <h1>omisell-push <span>read API</span></h1>
  <p id="intro">Loading <a href="/openapi.json">/openapi.json</a>…</p>
  <label class="token">Bearer token <input id="token" type="password" autocomplete="off" placeholder="READ_API_TOKENS or ADMIN_API_TOKENS value"></label>
</header>
<main id="operations"><noscript><p>This page needs JavaScript to send requests. The raw description is at <a href="/openapi.json">/openapi.json</a>.</p></noscript></main>
</body>
</html>
`;

export const DOCS_CSS = `
:root { --ink:#1f2933; --muted:#616e7c; --line:#e4e7eb; --bg:#f5f7fa; --accent:#2563eb; --get:#0f766e; --post:#b45309; }
* { box-sizing: border-box; }
body { margin:0; font:15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color:var(--ink); background:var(--bg); }
header { background:#fff; border-bottom:1px solid var(--line); padding:20px max(16px, calc(50% - 460px)); }
h1 { margin:0 0 4px; font-size:22px; } h1 span { color:var(--muted); font-weight:400; }
#intro { margin:0 0 12px; color:var(--muted); }
.token { display:flex; gap:8px; align-items:center; font-weight:600; font-size:14px; }
.token input { flex:1; max-width:420px; }
input, select { font:inherit; padding:6px 8px; border:1px solid #cbd2d9; border-radius:6px; background:#fff; }
main { padding:20px max(16px, calc(50% - 460px)); }
h2 { font-size:16px; margin:24px 0 8px; color:var(--muted); text-transform:uppercase; letter-spacing:.04em; }
details { background:#fff; border:1px solid var(--line); border-radius:8px; margin:0 0 10px; }
summary { cursor:pointer; padding:10px 14px; display:flex; gap:12px; align-items:center; flex-wrap:wrap; }
.method { font:600 12px/1 ui-monospace, monospace; color:#fff; padding:5px 8px; border-radius:4px; min-width:48px; text-align:center; }
.get { background:var(--get); } .post { background:var(--post); }
.path { font-family:ui-monospace, monospace; font-weight:600; }
.summary { color:var(--muted); }
.role { margin-left:auto; font-size:12px; color:var(--post); border:1px solid currentColor; border-radius:10px; padding:1px 8px; }
.body { padding:0 14px 14px; border-top:1px solid var(--line); }
.params { display:grid; grid-template-columns:minmax(120px, 180px) 1fr; gap:8px 12px; align-items:start; margin:12px 0; }
.params label { font-family:ui-monospace, monospace; font-size:13px; padding-top:7px; }
.params small { display:block; color:var(--muted); font-size:12px; margin-top:2px; }
.req { color:#b91c1c; }
button { font:inherit; font-weight:600; padding:7px 16px; border:0; border-radius:6px; background:var(--accent); color:#fff; cursor:pointer; }
pre { background:#0f172a; color:#e2e8f0; padding:12px; border-radius:6px; overflow:auto; font-size:13px; max-height:420px; }
.status { font-weight:600; margin:10px 0 4px; }
.codes { color:var(--muted); font-size:13px; }
@media (max-width: 600px) { .params { grid-template-columns:1fr; } .role { margin-left:0; } }
`;

export const DOCS_SCRIPT = `"use strict";
(function () {
  var tokenInput = document.getElementById("token");
  tokenInput.value = sessionStorage.getItem("omisell-push-token") || "";
  tokenInput.addEventListener("input", function () { sessionStorage.setItem("omisell-push-token", tokenInput.value); });

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    (children || []).forEach(function (c) { node.append(c); });
    return node;
  }

  function renderOperation(path, method, op) {
    var inputs = {};
    var params = el("div", { class: "params" });
    (op.parameters || []).forEach(function (p) {
      var id = op.operationId + "-" + p.name;
      var input;
      if (p.schema && p.schema.enum) {
        input = el("select", { id: id }, [el("option", { value: "" }, [""])].concat(p.schema.enum.map(function (v) { return el("option", { value: v }, [v]); })));
      } else {
        input = el("input", { id: id, placeholder: p.schema && p.schema.examples ? String(p.schema.examples[0]) : (p.schema && p.schema.default !== undefined ? String(p.schema.default) : "") });
      }
      inputs[p.name] = { input: input, where: p.in };
      var label = el("label", { for: id }, [p.name]);
      if (p.required) label.append(el("span", { class: "req" }, [" *"]));
      params.append(label, el("div", {}, [input, el("small", {}, [p.description || ""])]));
    });
    var out = el("div");
    var send = el("button", { type: "button" }, ["Send"]);
    send.addEventListener("click", function () {
      var url = path;
      var query = new URLSearchParams();
      Object.keys(inputs).forEach(function (name) {
        var v = inputs[name].input.value.trim();
        if (inputs[name].where === "path") url = url.replace("{" + name + "}", encodeURIComponent(v));
        else if (v) query.set(name, v);
      });
      if (query.toString()) url += "?" + query.toString();
      var headers = {};
      if (tokenInput.value) headers.Authorization = "Bearer " + tokenInput.value;
      out.replaceChildren(el("p", { class: "status" }, [method.toUpperCase() + " " + url + " …"]));
      fetch(url, { method: method.toUpperCase(), headers: headers }).then(function (res) {
        return res.text().then(function (text) {
          var shown = text;
          try { shown = JSON.stringify(JSON.parse(text), null, 2); } catch (e) { /* not JSON: show as is */ }
          if (shown.length > 20000) shown = shown.slice(0, 20000) + "\\n…";
          out.replaceChildren(el("p", { class: "status" }, [method.toUpperCase() + " " + url + " → " + res.status]), el("pre", {}, [shown]));
        });
      }).catch(function (err) {
        out.replaceChildren(el("p", { class: "status" }, ["Request failed: " + err]));
      });
    });
    var codes = Object.keys(op.responses || {}).map(function (code) { return code + " " + op.responses[code].description; }).join(" · ");
    var summary = el("summary", {}, [
      el("span", { class: "method " + method }, [method.toUpperCase()]),
      el("span", { class: "path" }, [path]),
      el("span", { class: "summary" }, [op.summary || ""]),
    ]);
    if (op["x-required-role"]) summary.append(el("span", { class: "role" }, [op["x-required-role"] + " token"]));
    return el("details", { id: op.operationId }, [summary, el("div", { class: "body" }, [
      el("p", {}, [op.description || ""]), params, send, el("p", { class: "codes" }, [codes]), out,
    ])]);
  }

  fetch("/openapi.json").then(function (res) { return res.json(); }).then(function (doc) {
    document.getElementById("intro").replaceChildren(doc.info.description + " ", el("a", { href: "/openapi.json" }, ["OpenAPI " + doc.openapi]));
    var main = document.getElementById("operations");
    var groups = {};
    Object.keys(doc.paths).forEach(function (path) {
      Object.keys(doc.paths[path]).forEach(function (method) {
        var op = doc.paths[path][method];
        var tag = (op.tags && op.tags[0]) || "Other";
        (groups[tag] = groups[tag] || []).push(renderOperation(path, method, op));
      });
    });
    Object.keys(groups).forEach(function (tag) { main.append(el("h2", {}, [tag])); groups[tag].forEach(function (n) { main.append(n); }); });
  });
})();
`;
