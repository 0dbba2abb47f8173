// The browser half of cnnbook's explorers: draws a scene (cnnbook/widgets/scene.py) as SVG
// and highlights the route of the cell under the pointer. Loaded by anywidget.
//   model traits: scene_json (a JSON dict), message (str),
//                 routes_json (JSON {gid: {on: [gid], text: str}}),
//                 selected (str, the clicked cell; "" for none)
const NS = "http://www.w3.org/2000/svg";
const PX = 100 / 72;          // points → pixels at the scene's 100 dpi
const LINE = 1.22;            // line height in ems
let counter = 0;

function esc(s) {
  return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function lines(runs) {
  // split runs at newlines: [[run, ...], ...]
  const out = [[]];
  for (const [text, shift] of runs) {
    const parts = String(text).split("\n");
    parts.forEach((part, k) => {
      if (k > 0) out.push([]);
      if (part) out[out.length - 1].push([part, shift]);
    });
  }
  return out;
}

function textSvg(x, y, runs, size, colour, ha, va) {
  const px = size * PX;
  const rows = lines(runs);
  const anchor = ha === "center" ? "middle" : ha === "right" ? "end" : "start";
  let first;   // baseline of the first line, from y
  const n = rows.length;
  if (va === "center" || va === "center_baseline") first = 0.35 * px - (n - 1) * LINE * px / 2;
  else if (va === "top") first = 0.8 * px;
  else if (va === "bottom") first = -0.22 * px - (n - 1) * LINE * px;
  else first = -(n - 1) * LINE * px;
  let body = "";
  rows.forEach((row, k) => {
    let offset = 0;
    let line = "";
    row.forEach(([text, shift], j) => {
      const target = shift > 0 ? -0.38 * px : shift < 0 ? 0.22 * px : 0;
      const dy = target - offset;
      offset = target;
      const small = shift !== 0 ? ` font-size="${(0.72 * px).toFixed(1)}"` : "";
      const dx = j === 0 ? ` x="${x.toFixed(1)}"` : "";
      const lineDy = j === 0 ? (k === 0 ? first : LINE * px) - (j === 0 ? 0 : 0) : 0;
      line += `<tspan${dx} dy="${(dy + (j === 0 ? lineDy : 0)).toFixed(1)}"${small}>${esc(text)}</tspan>`;
    });
    if (offset !== 0) line += `<tspan dy="${(-offset).toFixed(1)}"></tspan>`;
    if (!row.length) line = `<tspan x="${x.toFixed(1)}" dy="${(k === 0 ? first : LINE * px).toFixed(1)}"> </tspan>`;
    body += line;
  });
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" font-size="${px.toFixed(1)}" fill="${colour}" ` +
    `text-anchor="${anchor}" pointer-events="none">${body}</text>`;
}

function heightOf(text) {
  if (!text) return 0;
  return lines(text.runs).length * LINE * text.size * PX + 6;
}

function draw(scene, uid) {
  const [W, H] = scene.size;
  const top = scene.suptitle ? heightOf(scene.suptitle) + 4 : 4;
  const bottom = scene.supxlabel ? heightOf(scene.supxlabel) + 4 : 4;
  const plotH = Math.max(H - top - bottom, 10);
  const plotW = W - 8;
  const cells = {};       // gid → [x, y, w, h] in pixels
  let out = `<defs><pattern id="hatch-${uid}" patternUnits="userSpaceOnUse" width="6" height="6">` +
    `<path d="M-1,1 l2,-2 M0,6 l6,-6 M5,7 l2,-2" stroke="#555" stroke-width="0.8"/></pattern></defs>`;
  out += `<rect x="0" y="0" width="${W}" height="${H}" fill="white"/>`;
  if (scene.suptitle) {
    const t = scene.suptitle;
    out += textSvg(W / 2, 4, t.runs, t.size, t.color, "center", "top");
  }
  for (const ax of scene.axes) {
    const [fx0, fy0, fx1, fy1] = ax.box;
    let bx = 4 + fx0 * plotW, by = top + fy0 * plotH;
    let bw = (fx1 - fx0) * plotW, bh = (fy1 - fy0) * plotH;
    const th = ax.title ? heightOf(ax.title) : 0;
    by += th + 2; bh -= th + 6; bx += 3; bw -= 6;
    const [a, b] = ax.xlim, [yb, yt] = ax.ylim;
    const dx = Math.abs(b - a) || 1, dy = Math.abs(yb - yt) || 1;
    let sx = bw / dx, sy = bh / dy;
    if (ax.equal) { const s = Math.max(Math.min(sx, sy), 0.01); sx = sy = s; }
    const w = dx * sx, h = dy * sy;
    const left = bx + (bw - w) / 2, topPx = ax.equal ? by + (bh - h) / 2 : by;
    const X = (x) => left + (x - a) / (b - a) * w;
    const Y = (y) => topPx + (yt - y) / (yt - yb) * h;
    const AX = (x) => left + x * w, AY = (y) => topPx + (1 - y) * h;
    if (ax.title) {
      const t = ax.title;
      out += textSvg(left + w / 2, topPx - 3, t.runs, t.size, t.color, "center", "bottom");
    }
    for (const item of ax.items) {
      if (item[0] === "r") {
        const [, x, y, rw, rh, face, edge, lw, dashed, hatched, , gid] = item;
        const x0 = Math.min(X(x), X(x + rw)), x1 = Math.max(X(x), X(x + rw));
        const y0 = Math.min(Y(y), Y(y + rh)), y1 = Math.max(Y(y), Y(y + rh));
        const geo = `x="${x0.toFixed(1)}" y="${y0.toFixed(1)}" width="${(x1 - x0).toFixed(1)}" height="${(y1 - y0).toFixed(1)}"`;
        const stroke = edge && lw > 0 ? ` stroke="${edge}" stroke-width="${(lw * PX).toFixed(2)}"` +
          (dashed ? ` stroke-dasharray="${(4 * lw * PX).toFixed(1)} ${(2 * lw * PX).toFixed(1)}"` : "") : "";
        const tag = gid ? ` data-gid="${gid}" class="cell"` : ` pointer-events="none"`;
        out += `<rect ${geo} fill="${face || "none"}"${stroke}${tag}/>`;
        if (hatched) out += `<rect ${geo} fill="url(#hatch-${uid})" pointer-events="none"/>`;
        if (gid) cells[gid] = [x0, y0, x1 - x0, y1 - y0];
      } else {
        const [, x, y, runs, size, colour, ha, va, , inAxes] = item;
        out += textSvg(inAxes ? AX(x) : X(x), inAxes ? AY(y) : Y(y), runs, size, colour, ha, va);
      }
    }
  }
  if (scene.supxlabel) {
    const t = scene.supxlabel;
    out += textSvg(W / 2, H - bottom + 4, t.runs, t.size, t.color, "center", "top");
  }
  out += `<g class="highlight" pointer-events="none"></g>`;
  return { svg: out, cells };
}

function render({ model, el }) {
  const uid = `cb${++counter}`;
  el.classList.add("cnnbook-explorer");
  const message = document.createElement("p");
  message.className = "cnnbook-message";
  message.style.maxWidth = "52em";
  const svg = document.createElementNS(NS, "svg");
  svg.setAttribute("class", "cnnbook-picture");
  svg.style.maxWidth = "100%";
  svg.style.height = "auto";
  svg.style.fontFamily = "DejaVu Sans, Verdana, sans-serif";
  svg.style.userSelect = "none";
  const route = document.createElement("p");
  route.className = "cnnbook-route";
  route.style.cssText = "min-height:1.4em;margin:0.2em 0;font-family:monospace;white-space:pre-wrap;max-width:60em";
  el.append(message, svg, route);
  let cells = {};
  let version = 0;
  let hovered = "";
  let routes = {};
  const readRoutes = () => { routes = JSON.parse(model.get("routes_json") || "{}"); };

  function show(gid) {
    const layer = svg.querySelector("g.highlight");
    if (!layer) return;
    const r = gid ? routes[gid] : null;
    let html = "";
    const on = [];
    if (r) {
      for (const other of r.on) {
        const box = cells[other];
        if (!box) continue;
        on.push(other);
        html += `<rect data-on="${other}" x="${(box[0] + 1.5).toFixed(1)}" y="${(box[1] + 1.5).toFixed(1)}" ` +
          `width="${Math.max(box[2] - 3, 1).toFixed(1)}" height="${Math.max(box[3] - 3, 1).toFixed(1)}" ` +
          `fill="none" stroke="#CC79A7" stroke-width="3"/>`;
      }
      const box = cells[gid];
      if (box) {
        html += `<rect data-on="${gid}" class="source" x="${(box[0] + 1).toFixed(1)}" y="${(box[1] + 1).toFixed(1)}" ` +
          `width="${Math.max(box[2] - 2, 1).toFixed(1)}" height="${Math.max(box[3] - 2, 1).toFixed(1)}" ` +
          `fill="none" stroke="#000000" stroke-width="4"/>`;
      }
    }
    layer.innerHTML = html;
    el.dataset.highlighted = JSON.stringify(on.sort());
    el.dataset.source = r ? gid : "";
    route.textContent = r ? r.text : (Object.keys(routes).length ?
      "point at a cell (or click it) to see where its gradient goes" : "");
  }

  function current() {
    return hovered || model.get("selected") || "";
  }

  function redraw() {
    const scene = JSON.parse(model.get("scene_json") || "{}");
    if (!scene || !scene.size) return;
    const t0 = performance.now();
    const { svg: body, cells: boxes } = draw(scene, uid);
    cells = boxes;
    svg.setAttribute("viewBox", `0 0 ${scene.size[0]} ${scene.size[1]}`);
    svg.setAttribute("width", scene.size[0]);
    svg.setAttribute("height", scene.size[1]);
    svg.innerHTML = body;
    show(current());
    version += 1;
    el.dataset.version = String(version);
    el.dataset.drawMs = (performance.now() - t0).toFixed(2);
  }

  function updateMessage() {
    message.textContent = model.get("message") || "";
  }

  svg.addEventListener("mouseover", (e) => {
    const gid = e.target.getAttribute && e.target.getAttribute("data-gid");
    if (gid && routes[gid]) { hovered = gid; show(gid); }
  });
  svg.addEventListener("mouseleave", () => { hovered = ""; show(current()); });
  svg.addEventListener("click", (e) => {
    const gid = (e.target.getAttribute && e.target.getAttribute("data-gid")) || "";
    const pick = gid && routes[gid] && gid !== model.get("selected") ? gid : "";
    model.set("selected", pick);
    model.save_changes();
    hovered = "";
    show(pick);
  });

  model.on("change:scene_json", redraw);
  model.on("change:routes_json", () => { readRoutes(); show(current()); });
  model.on("change:selected", () => show(current()));
  model.on("change:message", updateMessage);
  updateMessage();
  readRoutes();
  redraw();
  return () => {};
}

export default { render };
