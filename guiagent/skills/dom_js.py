"""JavaScript run in the page to read (never change) the DOM for grounding.

Kept apart from the Python so each snippet can be read as a whole. All of them
only inspect: actions always go through the driver's real input events.
"""

#: Facts about one element that decide how a skill acts on it.
ELEMENT_INFO = """el => {
  const tag = el.tagName.toLowerCase();
  const info = {tag, type: (el.type || '').toLowerCase(), role: el.getAttribute('role') || '',
    name: el.getAttribute('name') || '', id: el.id || '',
    checked: !!el.checked, value: el.value === undefined ? null : String(el.value),
    editable: el.isContentEditable, text: (el.innerText || '').trim().slice(0, 200)};
  if (tag === 'select') info.options = Array.from(el.options).map(o => ({text: o.text.trim(),
    value: o.value}));
  return info;
}"""

#: What a person would read as names on the page: labels, buttons, links, placeholders.
SEEN_NAMES = """() => {
  const vis = el => { const r = el.getBoundingClientRect(); const s = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none'; };
  const out = [];
  const add = (kind, text) => { text = (text || '').replace(/\\s+/g, ' ').trim();
    if (text && text.length < 80 && !out.includes(kind + ' ' + JSON.stringify(text)))
      out.push(kind + ' ' + JSON.stringify(text)); };
  document.querySelectorAll('label, legend').forEach(el => vis(el) && add('label', el.innerText));
  document.querySelectorAll('[aria-label]').forEach(el => vis(el) &&
    add('label', el.getAttribute('aria-label')));
  document.querySelectorAll('[placeholder]').forEach(el => vis(el) &&
    add('placeholder', el.getAttribute('placeholder')));
  document.querySelectorAll('button, [role=button], input[type=submit], input[type=button]')
    .forEach(el => vis(el) && add('button', el.innerText || el.value));
  document.querySelectorAll('a[href]').forEach(el => vis(el) && add('link', el.innerText));
  document.querySelectorAll('h1, h2, h3, th, td').forEach(el => vis(el) &&
    el.children.length === 0 && add('text', el.innerText));
  return out.slice(0, 40);
}"""

#: The form control a person would pair with a text label by position: the
#: nearest visible control to the right on the same row, or just below. Used
#: when a form does not tie labels to inputs (table layouts, plain text labels).
VISUAL_LABEL = """([wanted, exact]) => {
  const norm = t => (t || '').replace(/\\s+/g, ' ').replace(/[\\s:*]+$/, '').trim().toLowerCase();
  const want = norm(wanted);
  const vis = el => { const r = el.getBoundingClientRect(); const s = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none'; };
  const texts = Array.from(document.querySelectorAll('body *')).filter(el => {
    if (!vis(el) || ['SCRIPT', 'STYLE', 'OPTION', 'SELECT', 'TEXTAREA'].includes(el.tagName))
      return false;
    const own = Array.from(el.childNodes).filter(n => n.nodeType === 3)
      .map(n => n.textContent).join(' ');
    const t = norm(own);
    return t && (exact ? t === want : t.includes(want));
  });
  const controls = Array.from(document.querySelectorAll(
    'input:not([type=hidden]):not([type=submit]):not([type=button]), select, textarea,' +
    '[contenteditable=true], [role=textbox], [role=combobox]')).filter(vis);
  let best = null, bestScore = Infinity;
  for (const t of texts) {
    const a = t.getBoundingClientRect();
    const ay = a.top + a.height / 2;
    for (const c of controls) {
      const b = c.getBoundingClientRect();
      let score = Infinity;
      const rowGap = Math.abs(b.top + b.height / 2 - ay);
      if (b.left >= a.right - 4 && rowGap <= Math.max(a.height, b.height) / 2 + 4)
        score = b.left - a.right;                        // same row, to the right
      else if (b.top >= a.bottom - 4 && b.left < a.right && b.right > a.left - 40)
        score = (b.top - a.bottom) * 1.5 + 10;           // below, overlapping columns
      if (score < bestScore) { bestScore = score; best = c; }
    }
  }
  return bestScore < 400 ? best : null;
}"""

#: Describe the element at a point as a skill target (used by ``from-run``).
DESCRIBE_AT = """([x, y]) => {
  const clean = t => (t || '').replace(/\\s+/g, ' ').replace(/[\\s:*]+$/, '').trim();
  let el = document.elementFromPoint(x, y);
  if (!el) return null;
  const interactive = 'a, button, input, select, textarea, label, summary, [role], [contenteditable=true]';
  const hit = el.closest(interactive) || el;
  const tag = hit.tagName.toLowerCase();
  const out = {tag, type: (hit.type || '').toLowerCase(), role: hit.getAttribute('role') || '',
    text: clean(hit.innerText).slice(0, 80), label: '', placeholder: hit.getAttribute('placeholder') || ''};
  let control = hit;
  if (tag === 'label' && hit.control) control = hit.control;
  if (control.labels && control.labels.length) out.label = clean(control.labels[0].innerText);
  if (!out.label && control.getAttribute('aria-label')) out.label = clean(control.getAttribute('aria-label'));
  const by = control.getAttribute('aria-labelledby');
  if (!out.label && by) out.label = clean(by.split(/\\s+/)
    .map(i => (document.getElementById(i) || {}).innerText || '').join(' '));
  out.control = control.tagName.toLowerCase();
  out.controlType = (control.type || '').toLowerCase();
  if (tag === 'input' && ['submit', 'button'].includes(out.type)) out.text = clean(hit.value);
  return out;
}"""

#: The radio (or checkbox) of a group whose label, aria-label or value reads ``wanted``;
#: ``el`` is the group (fieldset, radiogroup) or one radio of it.
PICK_CHOICE = """(el, wanted) => {
  const norm = t => (t || '').replace(/\\s+/g, ' ').replace(/[\\s:*]+$/, '').trim().toLowerCase();
  const want = norm(wanted);
  let pool;
  if (el.matches('input[type=radio]') && el.name)
    pool = Array.from(document.querySelectorAll('input[type=radio]'))
      .filter(r => r.name === el.name && r.form === el.form);
  else pool = Array.from(el.querySelectorAll('input[type=radio], input[type=checkbox], [role=radio]'));
  const names = r => { const parts = [];
    if (r.labels) for (const l of r.labels) parts.push(l.innerText);
    parts.push(r.getAttribute('aria-label'), r.value, r.getAttribute('role') ? r.innerText : '',
               r.nextSibling && r.nextSibling.textContent);
    return parts.filter(Boolean).map(norm); };
  return pool.find(r => names(r).includes(want))
      || pool.find(r => names(r).some(n => n.includes(want))) || null;
}"""

#: The order of day, month and year in the page's locale, as date inputs show them.
DATE_ORDER = """() => new Intl.DateTimeFormat(navigator.language)
  .formatToParts(new Date(2001, 10, 22))
  .filter(p => ['day', 'month', 'year'].includes(p.type)).map(p => p.type)"""

#: The value (or checked state) of the form control at a point.
STATE = """el => ({value: el.value === undefined ? null : String(el.value), checked: !!el.checked,
  text: (el.innerText || '').trim()})"""
