/** The dashboard's stylesheet (/dashboard/style.css; the CSP forbids inline styles) and its icon. */
export const DASHBOARD_CSS = `
:root {
  --ink: #111827; --muted: #6b7280; --line: #e5e7eb; --bg: #f3f4f6; --card: #fff;
  --accent: #2563eb; --accent-ink: #1d4ed8; --bar: #0f172a;
  --ok: #047857; --ok-bg: #d1fae5; --warn: #b45309; --warn-bg: #fef3c7;
  --bad: #b91c1c; --bad-bg: #fee2e2; --idle: #374151; --idle-bg: #e5e7eb;
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", sans-serif; color: var(--ink); background: var(--bg); }
a { color: var(--accent); text-decoration: none; } a:hover { text-decoration: underline; }
code, pre, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; }
.topbar { background: var(--bar); color: #e5e7eb; }
.topbar .inner { display: flex; align-items: center; gap: 20px; min-height: 52px; flex-wrap: wrap; }
.brand { color: #fff; font-weight: 700; font-size: 15px; letter-spacing: .01em; display: flex; align-items: center; gap: 8px; }
.brand:hover { text-decoration: none; }
.brand .dot { width: 10px; height: 10px; border-radius: 3px; background: #38bdf8; display: inline-block; }
.topbar nav { display: flex; gap: 6px 16px; flex: 1; flex-wrap: wrap; }
.topbar nav a { color: #cbd5e1; } .topbar nav a:hover { color: #fff; text-decoration: none; }
.topbar nav a[aria-current="page"] { color: #fff; font-weight: 600; }
.who { display: flex; align-items: center; gap: 10px; color: #94a3b8; font-size: 13px; }
.who form { margin: 0; }
.inner { max-width: 1180px; margin: 0 auto; padding: 0 20px; }
main.inner { padding-top: 24px; padding-bottom: 48px; }
h1 { font-size: 22px; overflow-wrap: anywhere; margin: 0 0 4px; letter-spacing: -.01em; }
h2 { font-size: 15px; margin: 0 0 12px; }
.sub { color: var(--muted); margin: 0 0 20px; }
.muted { color: var(--muted); }
.right { margin-left: auto; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 18px 20px; margin-bottom: 20px; box-shadow: 0 1px 2px rgba(16,24,40,.04); }
.card-head { display: flex; align-items: baseline; gap: 12px; margin-bottom: 12px; flex-wrap: wrap; }
.card-head h2 { margin: 0; }
.tiles { display: grid; grid-template-columns: repeat(auto-fit, minmax(170px, 1fr)); gap: 14px; margin-bottom: 20px; }
.tile { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 14px 16px; box-shadow: 0 1px 2px rgba(16,24,40,.04); }
a.tile { display: block; color: inherit; } a.tile:hover { text-decoration: none; border-color: #cbd5e1; }
.tile .label { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .05em; font-weight: 600; }
.tile .value { font-size: 26px; font-weight: 700; margin-top: 2px; font-variant-numeric: tabular-nums; }
.tile .note { color: var(--muted); font-size: 12.5px; }
.tile.bad .value { color: var(--bad); } .tile.warn .value { color: var(--warn); }
.chart { margin: 0; }
/* Two drawings of one chart: the narrow one (y-axis labels and all) replaces the wide one on a phone. */
.chart svg.bars { width: 100%; height: auto; display: block; }
.chart svg.bars.narrow { display: none; }
.chart figcaption { display: flex; gap: 14px; flex-wrap: wrap; align-items: center; margin-top: 8px; font-size: 12.5px; }
.legend { display: inline-flex; align-items: center; gap: 6px; }
.filters { display: grid; grid-template-columns: repeat(4, minmax(0, 1fr)); gap: 10px 14px; align-items: end; margin-bottom: 18px; }
.filters .flash { grid-column: 1 / -1; margin: 0; }
.filter-errors { list-style: none; } .filter-errors li + li { margin-top: 4px; }
.filters label { display: flex; flex-direction: column; gap: 4px; font-size: 12px; font-weight: 600; color: var(--muted); }
input, select { font: inherit; font-weight: 400; color: var(--ink); padding: 7px 9px; border: 1px solid #d1d5db; border-radius: 7px; background: #fff; min-width: 0; width: 100%; }
input:focus, select:focus { outline: 2px solid #bfdbfe; border-color: var(--accent); }
.actions { display: flex; gap: 8px; align-items: center; }
button, .button { font: inherit; font-weight: 600; padding: 7px 14px; border-radius: 7px; border: 1px solid var(--accent); background: var(--accent); color: #fff; cursor: pointer; display: inline-block; line-height: 1.4; }
button:hover, .button:hover { background: var(--accent-ink); text-decoration: none; }
.button.secondary, button.secondary { background: #fff; color: var(--ink); border-color: #d1d5db; }
.button.secondary:hover, button.secondary:hover { background: #f9fafb; }
button.small { padding: 3px 10px; font-size: 12.5px; }
form.inline { display: inline; margin: 0; }
button.ghost { background: transparent; border-color: #334155; color: #e2e8f0; padding: 4px 10px; font-weight: 500; }
button.ghost:hover { background: #1e293b; }
.table-wrap { overflow-x: auto; margin: 0 -20px; padding: 0 20px; }
table { width: 100%; border-collapse: collapse; }
th { text-align: left; font-size: 12px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); font-weight: 600; padding: 8px 10px; border-bottom: 1px solid var(--line); white-space: nowrap; }
td { padding: 9px 10px; border-bottom: 1px solid #f0f1f3; vertical-align: top; }
td.error-cell { overflow-wrap: anywhere; min-width: 160px; }
tbody tr:hover { background: #f9fafb; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.nowrap { white-space: nowrap; }
.badge { display: inline-block; padding: 1px 9px; border-radius: 999px; font-size: 12px; font-weight: 600; white-space: nowrap; }
.s-processed { color: var(--ok); background: var(--ok-bg); }
.s-received { color: #1d4ed8; background: #dbeafe; }
.s-skipped { color: var(--idle); background: var(--idle-bg); }
.s-failed { color: var(--bad); background: var(--bad-bg); }
.s-invalid { color: var(--warn); background: var(--warn-bg); }
.cat { display: inline-flex; align-items: center; gap: 6px; }
.swatch { width: 8px; height: 8px; border-radius: 2px; display: inline-block; }
.pager { display: flex; gap: 8px; justify-content: space-between; align-items: center; margin-top: 14px; }
.empty { text-align: center; color: var(--muted); padding: 28px 0; }
dl.facts { display: grid; grid-template-columns: minmax(120px, 180px) minmax(0, 1fr); gap: 8px 16px; margin: 0; }
dl.facts dt { color: var(--muted); font-weight: 600; font-size: 13px; }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
pre.json { background: #0f172a; color: #e2e8f0; border-radius: 8px; padding: 14px 16px; overflow: auto; max-height: 560px; margin: 0; line-height: 1.55; }
.error-text { color: var(--bad); background: var(--bad-bg); border-radius: 6px; padding: 6px 10px; display: inline-block; max-width: 100%; overflow-wrap: anywhere; }
.flash { border-radius: 8px; padding: 10px 14px; margin-bottom: 16px; border: 1px solid; }
.flash.ok { background: var(--ok-bg); color: var(--ok); border-color: #a7f3d0; }
.flash.bad { background: var(--bad-bg); color: var(--bad); border-color: #fecaca; }
.title-row { display: flex; align-items: center; gap: 12px; flex-wrap: wrap; margin-bottom: 4px; }
.title-row form { margin-left: auto; }
.grid-2 { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 20px; }
dl.facts.facts-gap { margin-bottom: 22px; }
.timeline { list-style: none; margin: 0; padding: 0; }
.timeline li { display: grid; grid-template-columns: 170px minmax(0, 1fr) auto; gap: 12px; padding: 9px 0; border-bottom: 1px solid #f0f1f3; align-items: center; }
.timeline li:last-child { border-bottom: 0; }
.signin { max-width: 400px; margin: 10vh auto 0; }
.signin h1 { margin-bottom: 6px; }
.signin form { display: flex; flex-direction: column; gap: 14px; margin-top: 18px; }
.signin label { display: flex; flex-direction: column; gap: 6px; font-weight: 600; font-size: 13px; }
.crumbs { font-size: 13px; margin-bottom: 10px; }
.health-banner { background: var(--bad-bg); border: 1px solid #fecaca; border-left: 4px solid var(--bad); border-radius: 10px; padding: 12px 16px; margin-bottom: 20px; color: #7f1d1d; }
.health-banner h2 { font-size: 14px; margin: 0 0 6px; color: var(--bad); }
.health-banner ul { margin: 0; padding-left: 18px; } .health-banner li + li { margin-top: 3px; }
.health-banner a { color: var(--bad); font-weight: 600; white-space: nowrap; }
.days { list-style: none; margin: 0; padding: 0; display: grid; grid-template-columns: repeat(7, minmax(0, 1fr)); gap: 6px; }
.days li { border: 1px solid var(--line); border-radius: 8px; padding: 6px 4px; text-align: center; min-width: 0; }
.days li.some { border-color: #fcd34d; background: var(--warn-bg); }
.days .day { display: block; font-size: 11.5px; color: var(--muted); white-space: nowrap; }
.days .n { display: block; font-weight: 700; font-variant-numeric: tabular-nums; }
.group { border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; margin-bottom: 12px; }
.group-head { display: flex; gap: 12px; align-items: flex-start; flex-wrap: wrap; }
.group-head .count { font-size: 20px; font-weight: 700; color: var(--bad); min-width: 2.5em; font-variant-numeric: tabular-nums; }
.error-of-group { flex: 1; min-width: 0; overflow-wrap: anywhere; }
.group-head form { margin-left: auto; }
.group p { margin: 6px 0; font-size: 12.5px; }
.samples { margin: 0; padding-left: 18px; font-size: 13px; } .samples li { overflow-wrap: anywhere; }
.replay-all { margin: 6px 0 0; }
.dest-tiles { grid-template-columns: repeat(auto-fit, minmax(140px, 1fr)); margin: 4px 0 14px; }
.dest-actions { display: flex; flex-wrap: wrap; gap: 8px; margin-top: 14px; align-items: center; }
.dest-actions form { margin: 0; }
.dest-form { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 10px 14px; align-items: start; }
.dest-form label { display: flex; flex-direction: column; gap: 4px; font-size: 12px; font-weight: 600; color: var(--muted); min-width: 0; }
.dest-form .actions { grid-column: 1 / -1; }
.secret-box pre.json { white-space: pre-wrap; overflow-wrap: anywhere; }
@media (max-width: 760px) {
  .dest-form { grid-template-columns: minmax(0, 1fr); }
  .dest-tiles { grid-template-columns: repeat(2, minmax(0, 1fr)); }
  .tiles { grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 10px; }
  .tile { padding: 12px; }
  .tile:last-child:nth-child(odd) { grid-column: 1 / -1; }
  .filters { grid-template-columns: repeat(2, minmax(0, 1fr)); }
  .date { display: none; }
  .card { padding: 16px; }
  .table-wrap { margin: 0 -16px; padding: 0 16px; }
  th, td { padding: 8px 6px; }
  /* minmax(0, 1fr), not 1fr: a grid item's min-content width (a long JSON line) must not widen the page. */
  .grid-2 { grid-template-columns: minmax(0, 1fr); }
  .hide-sm { display: none; }
  dl.facts { grid-template-columns: minmax(0, 1fr); gap: 2px; } dl.facts dd { margin-bottom: 8px; }
  .timeline li { grid-template-columns: minmax(0, 1fr) auto; } .timeline li .when { grid-column: 1 / -1; color: var(--muted); font-size: 12.5px; }
  .chart svg.bars.wide { display: none; } .chart svg.bars.narrow { display: block; }
  /* Lists stack on a phone: each row a block, its status (and action) on the right of its first lines. */
  table.stack, table.stack tbody { display: block; }
  table.stack thead { display: none; }
  table.stack tr { display: grid; grid-template-columns: minmax(0, 1fr) auto; gap: 2px 10px; padding: 9px 0; border-bottom: 1px solid #f0f1f3; }
  table.stack td { display: block; padding: 0; border: 0; grid-column: 1; min-width: 0; overflow-wrap: anywhere; white-space: normal; }
  table.stack td.status { grid-column: 2; grid-row: 1; justify-self: end; }
  table.stack td.act { grid-column: 2; grid-row: 2; justify-self: end; }
  table.stack td.hide-sm { display: none; }
  table.stack td.num { text-align: left; }
  table.stack td.when { font-size: 12px; }
  table.stack td.error-cell { min-width: 0; }
  .group-head form { margin-left: 0; }
  .tile .value { font-size: 22px; }
  .topbar nav { order: 3; flex-basis: 100%; padding-bottom: 8px; }
}
`;

/** A small icon, so browsers asking for one get it from the worker instead of a 404. */
export const FAVICON_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" fill="#0f172a"/><rect x="9" y="9" width="14" height="14" rx="4" fill="#38bdf8"/></svg>';
