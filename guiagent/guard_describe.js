// Describes what an action presses; see guiagent/guard_dom.py. Runs in an isolated world.
(args) => {
  const norm = (t) => String(t || "").replace(/\s+/g, " ").trim();
  const TEXT_ENTRY = /^(text|search|email|url|tel|password|number|date|datetime-local|month|week|time)$/;
  const BUTTON_INPUT = /^(submit|button|reset|image)$/;
  const INTERACTIVE = "button,a,[role=button],[role=link],[role=menuitem],[role=menuitemcheckbox]," +
    "[role=menuitemradio],[role=option],[role=tab],[role=checkbox],[role=radio],[role=switch]," +
    "input,label,summary,option,select,textarea,[onclick]";
  const typeOf = (e) => (e.getAttribute("type") || (e.tagName === "BUTTON" ? "submit" : "text")).toLowerCase();
  const isTextEntry = (e) => e.tagName === "TEXTAREA" || e.isContentEditable ||
    (e.tagName === "INPUT" && TEXT_ENTRY.test(typeOf(e)));
  // Name from content: text, image alts, aria-labels; never what was typed into a field.
  const textOf = (node, budget) => {
    let out = "";
    const walk = (n, depth) => {
      if (out.length > budget || depth > 30) return;
      if (n.nodeType === 3) { out += " " + n.textContent; return; }
      if (n.nodeType !== 1 && n.nodeType !== 11) return;
      if (n.nodeType === 1) {
        const tag = n.tagName;
        if (tag === "SCRIPT" || tag === "STYLE" || tag === "TEMPLATE" || tag === "TEXTAREA" ||
            tag === "SELECT") return;
        const label = n.getAttribute("aria-label");
        if (label) out += " " + label;
        if (tag === "IMG" || tag === "AREA" || n.getAttribute("role") === "img") {
          out += " " + (n.getAttribute("alt") || n.getAttribute("title") || "");
          return;
        }
        if (tag === "INPUT") {
          if (BUTTON_INPUT.test(typeOf(n))) out += " " + (n.getAttribute("value") || n.getAttribute("alt") || "");
          return;
        }
        if (tag === "svg" || tag === "SVG") {
          const title = n.querySelector("title");
          if (title) out += " " + title.textContent;
          return;
        }
      }
      for (const c of n.childNodes) walk(c, depth + 1);
      if (n.nodeType === 1 && n.shadowRoot) walk(n.shadowRoot, depth + 1);
    };
    walk(node, 0);
    return out;
  };
  const byIds = (e, attr) => (e.getAttribute(attr) || "").split(/\s+/).filter(Boolean)
    .map((id) => { const r = e.ownerDocument.getElementById(id); return r ? textOf(r, 300) : ""; }).join(" ");
  const pseudo = (e) => ["::before", "::after"].map((p) => {
    const c = e.ownerDocument.defaultView.getComputedStyle(e, p).content;
    return c && c !== "none" && c !== "normal" ? c.replace(/^"|"$/g, "") : "";
  }).join(" ");
  const nameOf = (e) => {
    const parts = [byIds(e, "aria-labelledby"), e.getAttribute("aria-label"), e.getAttribute("title"),
                   e.getAttribute("alt"), byIds(e, "aria-describedby")];
    if (e.tagName === "INPUT" && BUTTON_INPUT.test(typeOf(e)))
      parts.push(e.getAttribute("value") || e.getAttribute("alt") || typeOf(e));
    if (e.labels) for (const l of e.labels) parts.push(textOf(l, 300));
    if (e.tagName === "INPUT" || e.tagName === "TEXTAREA") parts.push(e.getAttribute("placeholder"));
    else if (e.tagName !== "SELECT") parts.push(textOf(e, 300));
    parts.push(pseudo(e));
    return norm(parts.filter(Boolean).join(" ")).slice(0, 300);
  };
  const up = (e) => e.parentElement || (e.parentNode && e.parentNode.host) || null;
  const closest = (e) => {
    for (let c = e; c; c = up(c))
      if (c.nodeType === 1 && c.tagName !== "BODY" && c.tagName !== "HTML" && c.matches(INTERACTIVE)) return c;
    return null;
  };
  const pressedText = (e) => {
    if (!e || e.tagName === "BODY" || e.tagName === "HTML") {
      return e ? norm(Array.from(e.childNodes).filter((n) => n.nodeType === 3).map((n) => n.textContent).join(" ")) : "";
    }
    const target = closest(e);
    // Clicking into a text field (or its label) only focuses it: nothing is pressed.
    if (target && (isTextEntry(target) || (target.tagName === "LABEL" && target.control &&
                                           isTextEntry(target.control)))) return "";
    if (target) {
      let text = nameOf(target);
      if (target.tagName === "LABEL" && target.control) text += " " + nameOf(target.control);
      return text;
    }
    // No control: the largest enclosing block whose text stays short (a clickable card).
    let best = norm(textOf(e, 300)) + " " + pseudo(e);
    for (let c = up(e); c && c.tagName !== "BODY" && c.tagName !== "HTML"; c = up(c)) {
      if (c.nodeType !== 1) continue;
      const t = norm(textOf(c, 300));
      if (t.length > 200) break;
      best = t;
    }
    return norm(best);
  };
  const isFrame = (e) => e && (e.tagName === "IFRAME" || e.tagName === "FRAME");
  const offset = (f) => {
    const r = f.getBoundingClientRect(), s = f.ownerDocument.defaultView.getComputedStyle(f);
    return [r.left + f.clientLeft + (parseFloat(s.paddingLeft) || 0),
            r.top + f.clientTop + (parseFloat(s.paddingTop) || 0)];
  };
  const inner = (f) => { try { return f.contentDocument; } catch (err) { return null; } };
  const texts = [];
  let doc = document, ox = args.ox, oy = args.oy;
  // --- a click at a point -------------------------------------------------------------
  if (args.point) {
    let [x, y] = args.point;
    for (let depth = 0; depth < 8; depth++) {
      let el = doc.elementFromPoint(x, y);
      while (el && el.shadowRoot) {
        const deeper = el.shadowRoot.elementFromPoint(x, y);
        if (!deeper || deeper === el) break;
        el = deeper;
      }
      if (!isFrame(el)) { texts.push(pressedText(el)); break; }
      texts.push(nameOf(el));
      const [dx, dy] = offset(el);
      x -= dx; y -= dy; ox += dx; oy += dy;
      const d = inner(el);
      if (!d) return {text: norm(texts.filter(Boolean).join(" | ")), cross: {x, y, ox, oy}};
      doc = d;
    }
    return {text: norm(texts.filter(Boolean).join(" | "))};
  }
  // --- Enter / Space / an access key on the focused element ------------------------------
  let el = doc.activeElement;
  for (let depth = 0; depth < 8; depth++) {
    while (el && el.shadowRoot && el.shadowRoot.activeElement) el = el.shadowRoot.activeElement;
    if (!isFrame(el)) break;
    const [dx, dy] = offset(el), r = el.getBoundingClientRect();
    const d = inner(el);
    if (!d) return {text: "", cross: {x: r.width / 2 - (dx - r.left), y: r.height / 2 - (dy - r.top),
                                      ox: ox + dx, oy: oy + dy}};
    ox += dx; oy += dy; doc = d; el = d.activeElement;
  }
  const stops = () => Array.from(doc.querySelectorAll(
      "a[href],button,input,select,textarea,summary,iframe,[tabindex],[contenteditable]"))
    .filter((e) => !e.disabled && e.tabIndex >= 0 && typeOf(e) !== "hidden" && e.getClientRects().length)
    .map((e, i) => [e, i]).sort((a, b) => ((a[0].tabIndex || 1e9) - (b[0].tabIndex || 1e9)) || a[1] - b[1])
    .map((p) => p[0]);
  const onFocused = (e) => {
    if (!e || e.tagName === "BODY" || e.tagName === "HTML") return "";
    if (!isTextEntry(e)) return pressedText(e);
    if (!args.enter || e.tagName !== "INPUT") return "";  // Space types; Enter in a textarea is a newline
    const parts = [nameOf(e)];  // Enter submits the form: its default button is pressed
    const form = e.form;
    if (form) {
      const submit = Array.from(form.elements).find((b) => (b.tagName === "BUTTON" || b.tagName === "INPUT") &&
        (typeOf(b) === "submit" || typeOf(b) === "image"));
      parts.push(submit ? nameOf(submit) : "", form.getAttribute("aria-label"), form.getAttribute("name"));
    }
    return norm(parts.filter(Boolean).join(" | "));
  };
  if (args.enter || args.space) {
    const order = args.tabs.some((t) => t > 0) ? stops() : [];
    for (const t of args.tabs) {
      if (t === 0) { texts.push(onFocused(el)); continue; }
      const i = order.indexOf(el);
      texts.push(onFocused(order[(i < 0 ? -1 : i) + t]));
    }
  }
  for (const k of args.accessKeys)
    for (const e of doc.querySelectorAll("[accesskey]"))
      if ((e.getAttribute("accesskey") || "").toLowerCase().split(/\s+/).includes(k)) texts.push(pressedText(e));
  return {text: norm(texts.filter(Boolean).join(" | "))};
}
