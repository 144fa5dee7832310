/** The page, styles and script of /docs, with no external resources: the worker may run where there is no CDN. */
import { docsClient } from "#docs-client";

/** The page: the operations of /openapi.json, and a token field whose value never leaves the tab. */
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
  <nav class="back"><a href="/dashboard">← Dashboard</a></nav>
  <h1>omisell-push <span>read API</span></h1>
  <p id="intro">Loading <a href="/openapi.json">/openapi.json</a>…</p>
  <label class="token">Bearer token <input id="token" type="password" autocomplete="off" placeholder="READ_API_TOKENS or ADMIN_API_TOKENS value"></label>
</header>
<main id="operations"><noscript><p>This page needs JavaScript to send requests. The raw description is at <a href="/openapi.json">/openapi.json</a>.</p></noscript></main>
</body>
</html>
`;

/** Served as /docs/docs.css: the page's CSP allows no inline style. */
export const DOCS_CSS = `
:root { --ink:#1f2933; --muted:#616e7c; --line:#e4e7eb; --bg:#f5f7fa; --accent:#2563eb; --get:#0f766e; --post:#b45309; }
* { box-sizing: border-box; }
body { margin:0; font:15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color:var(--ink); background:var(--bg); }
header { background:#fff; border-bottom:1px solid var(--line); padding:20px max(16px, calc(50% - 460px)); }
h1 { margin:0 0 4px; font-size:22px; } h1 span { color:var(--muted); font-weight:400; }
#intro { margin:0 0 12px; color:var(--muted); }
.token { display:flex; gap:8px; align-items:center; font-weight:600; font-size:14px; }
.token input { flex:1; max-width:420px; }
input, select, textarea { font:inherit; padding:6px 8px; border:1px solid #cbd2d9; border-radius:6px; background:#fff; max-width:100%; }
textarea { width:100%; font-family:ui-monospace, monospace; font-size:13px; }
code { font-family:ui-monospace, monospace; font-size:.92em; background:#eef2f7; border-radius:4px; padding:0 4px; }
.back { margin-bottom:8px; font-size:14px; } a { color:var(--accent); }
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

/**
 * Served as /docs/app.js: the type-checked `docsClient` (`docs-client.ts`) as source text, called once. Bundlers that
 * keep function names (wrangler does) may wrap inner functions in `__name(fn, "name")`; the
 * page defines it as a no-op so the serialized function runs where that helper does not exist.
 */
export const DOCS_SCRIPT = `"use strict";
var __name = (fn) => fn;
(${docsClient.toString()})();
`;
