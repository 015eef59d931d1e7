// report.html's stylesheet (inline; the CSP allows inline styles only).

import { STATUS_STYLE } from "./common.js";

export const CSS = `
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 2rem; color: #1a1a1a; background: #fff; }
h1 { font-size: 1.5rem; } h1 .run { font-family: ui-monospace, monospace; font-weight: normal; }
h2 { font-size: 1.15rem; margin-top: 2rem; border-bottom: 1px solid #ddd; padding-bottom: .25rem; }
h3 { font-size: 1rem; margin-top: 1.5rem; }
.lead, .note { color: #555; font-size: .9rem; }
table { border-collapse: collapse; font-size: .85rem; }
th, td { padding: .3rem .45rem; border-bottom: 1px solid #eee; text-align: right; white-space: nowrap; }
th { background: #f6f6f6; position: sticky; top: 0; white-space: normal; vertical-align: bottom; }
th:first-child, td:first-child { text-align: left; }
td.cell, td.task { font-family: ui-monospace, monospace; }
#cells-table td.cell { white-space: normal; overflow-wrap: anywhere; min-width: 10rem; max-width: 18rem; }
#cells-table .opt { display: none; }
#all-cols:checked ~ .scroll #cells-table .opt { display: table-cell; }
.scroll { overflow-x: auto; }
svg { font-family: system-ui, sans-serif; font-size: 12px; max-width: 100%; height: auto; }
svg .axis { stroke: #999; } svg .grid { stroke: #eee; }
table.grid td.s { text-align: center; color: #fff; font-weight: bold; min-width: 1.6rem; padding: 0; }
table.grid td.s a { display: block; padding: .3rem .45rem; color: #fff; text-decoration: none; }
table.grid td.s a:hover, table.grid td.s a:focus { outline: 2px solid #111; outline-offset: -2px; }
table.grid td.s-resolved, .badge.s-resolved { background: ${STATUS_STYLE.resolved.colour}; }
table.grid td.s-unresolved, .badge.s-unresolved { background: ${STATUS_STYLE.unresolved.colour}; }
table.grid td.s-error, .badge.s-error { background: ${STATUS_STYLE.error.colour}; }
table.grid td.s-missing { background: #e0e0e0; color: #777; }
.legend span { display: inline-block; margin-right: 1rem; }
.swatch { display: inline-block; width: .8rem; height: .8rem; margin-right: .3rem; vertical-align: middle; }
.filters { display: flex; flex-wrap: wrap; gap: .4rem 1rem; align-items: center; font-size: .85rem; margin: .5rem 0; }
.filters output { color: #555; }
body.viewing > :not(#task-view) { display: none; }
#task-view { max-width: 72rem; }
#task-view .nav a { margin-right: 1.5rem; }
#task-view h2 { overflow-wrap: anywhere; }
#task-view .cellname { font-family: ui-monospace, monospace; font-weight: normal; color: #555; }
.badge { color: #fff; border-radius: .25rem; padding: .05rem .4rem; font-size: .85rem; vertical-align: middle; }
.others a { font-family: ui-monospace, monospace; margin-right: .5rem; }
dl.facts { display: grid; grid-template-columns: repeat(auto-fill, minmax(11rem, 1fr)); gap: .3rem 1rem; font-size: .85rem; }
dl.facts dt { color: #555; } dl.facts dd { margin: 0; font-weight: 600; overflow-wrap: anywhere; }
pre { background: #f7f7f7; padding: .5rem; overflow: auto; font-size: .8rem; max-height: 28rem; white-space: pre-wrap; overflow-wrap: anywhere; }
pre.statement { max-height: 20rem; }
ol.steps { padding-left: 1.5rem; }
.step { margin: .6rem 0; }
.step-head { font-size: .8rem; color: #333; font-family: ui-monospace, monospace; }
.step-note { font-size: .85rem; color: #555; }
.step-user pre.say { background: #fff8e1; }
.tool { border-left: 3px solid #90caf9; margin: .4rem 0 .4rem .5rem; padding-left: .5rem; }
.tool-head, .obs-head { font-size: .8rem; font-family: ui-monospace, monospace; color: #1565c0; }
.obs-head.err, .err { color: #c62828; }
.img { font-size: .8rem; color: #555; font-style: italic; }
pre.diff .d-add { color: #1b5e20; background: #e8f5e9; } pre.diff .d-del { color: #b71c1c; background: #ffebee; }
pre.diff .d-hunk { color: #6a1b9a; } pre.diff .d-file { font-weight: bold; color: #333; }
pre.diff { white-space: pre; max-height: 40rem; }
table.tests td:first-child { white-space: normal; overflow-wrap: anywhere; font-family: ui-monospace, monospace; }
table.tests tr.bad td:last-child { color: #c62828; font-weight: bold; } table.tests tr.ok td:last-child { color: #2e7d32; }
@media (max-width: 900px) { body { margin: .75rem; } }
`;
