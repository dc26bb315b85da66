// guiagent: find the interactive elements of a page for the set-of-marks web protocol.
(() => {
  // Runs in an isolated world: it sees the page's DOM, not its JavaScript, and
  // returns plain data (tag, text, boxes in CSS pixels of the viewport). It never
  // changes the page; the marks are drawn on the screenshot by guiagent.
  // Which elements count follows the WebVoyager marker GLM's examples match:
  // form controls, links, buttons, elements with onclick or a pointer cursor,
  // iframes, videos, list items, cells and options, visible at their centre,
  // at least 20 px^2, innermost only, numbered in DOM order.
  const TAGS = new Set(['INPUT', 'TEXTAREA', 'SELECT', 'BUTTON', 'A', 'IFRAME', 'VIDEO',
                        'LI', 'TD', 'OPTION']);
  const ROLES = new Set(['button', 'link', 'option', 'checkbox', 'radio', 'menuitem', 'tab',
                         'switch', 'textbox', 'combobox']);
  const vw = window.innerWidth, vh = window.innerHeight;
  const clean = (s) => String(s || '').replace(/\s+/g, ' ').trim();

  function interactive(el) {
    if (TAGS.has(el.tagName)) return true;
    const role = el.getAttribute('role');
    if (role && ROLES.has(role)) return true;
    if (el.hasAttribute('onclick')) return true;
    return getComputedStyle(el).cursor === 'pointer';
  }

  function visibleRects(el) {
    const out = [];
    for (const r of el.getClientRects()) {
      const left = Math.max(0, r.left), top = Math.max(0, r.top);
      const right = Math.min(vw, r.right), bottom = Math.min(vh, r.bottom);
      if (right - left < 1 || bottom - top < 1) continue;
      const cx = (left + right) / 2, cy = (top + bottom) / 2;
      const hit = document.elementFromPoint(cx, cy);
      if (hit !== el && !el.contains(hit)) continue;
      out.push({ x: left, y: top, w: right - left, h: bottom - top });
    }
    return out;
  }

  function labelText(el) {
    if (el.labels && el.labels.length) {
      return clean(Array.from(el.labels).map((l) => l.textContent).join(' '));
    }
    return '';
  }

  const found = [];
  for (const el of document.querySelectorAll('*')) {
    if (!interactive(el)) continue;
    const rects = visibleRects(el);
    const area = rects.reduce((a, r) => a + r.w * r.h, 0);
    if (area < 20) continue;
    found.push({ el, rects });
  }
  const kept = found.filter((a) => !found.some((b) => a !== b && a.el.contains(b.el)));
  return kept.map(({ el, rects }) => {
    const tag = el.tagName.toLowerCase();
    const isField = tag === 'input' || tag === 'textarea' || tag === 'select';
    return {
      tag,
      type: clean(el.getAttribute('type')).toLowerCase(),
      text: tag === 'select' ? clean(el.selectedIndex >= 0 ? el.options[el.selectedIndex].text : '')
        : (tag === 'input' && ['submit', 'button', 'reset'].includes(el.type)) ? clean(el.value)
        : isField ? '' : clean(el.textContent),
      aria: clean(el.getAttribute('aria-label')),
      label: isField ? labelText(el) : '',
      placeholder: clean(el.getAttribute('placeholder')),
      rects,
    };
  });
})
