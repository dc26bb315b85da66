// guiagent: make native <select> popups visible and clickable in headless Chromium.
// Headless Chromium neither draws a select's popup into screenshots reliably nor
// routes mouse clicks to it. A mousedown on a <select> therefore opens this
// in-page list instead; clicking an option (or ArrowUp/ArrowDown + Enter) picks it
// and fires the same input/change events the native popup would.
(() => {
  if (window.__guiagentSelectShim) return;
  window.__guiagentSelectShim = true;
  let open = null;

  function close() {
    if (open) { open.list.remove(); open = null; }
  }

  function choose(select, index) {
    if (select.selectedIndex !== index) {
      select.selectedIndex = index;
      select.dispatchEvent(new Event('input', { bubbles: true }));
      select.dispatchEvent(new Event('change', { bubbles: true }));
    }
    close();
    select.focus();
  }

  function highlight(i) {
    open.active = i;
    open.items.forEach((el, j) => {
      el.style.background = j === i ? '#1a73e8' : '#fff';
      el.style.color = j === i ? '#fff' : '#111';
    });
  }

  function show(select) {
    close();
    const r = select.getBoundingClientRect();
    const list = document.createElement('div');
    list.setAttribute('data-guiagent-select-list', '');
    list.setAttribute('role', 'listbox');
    const cs = getComputedStyle(select);
    Object.assign(list.style, {
      position: 'fixed', left: r.left + 'px', top: r.bottom + 'px',
      minWidth: r.width + 'px', maxHeight: '300px', overflowY: 'auto',
      background: '#fff', border: '1px solid #767676', zIndex: 2147483647,
      font: cs.font, boxShadow: '0 2px 6px rgba(0,0,0,.25)', boxSizing: 'border-box',
    });
    const items = [];
    Array.from(select.options).forEach((opt, i) => {
      const item = document.createElement('div');
      item.textContent = opt.text || '\u00a0';
      item.setAttribute('role', 'option');
      item.setAttribute('data-index', String(i));
      Object.assign(item.style, { padding: '3px 8px', cursor: 'default', whiteSpace: 'nowrap' });
      if (opt.disabled) item.style.opacity = '0.5';
      item.addEventListener('mousedown', (e) => { e.preventDefault(); e.stopPropagation(); });
      item.addEventListener('click', (e) => {
        e.preventDefault(); e.stopPropagation();
        if (!opt.disabled) choose(select, i);
      });
      item.addEventListener('mouseenter', () => highlight(i));
      list.appendChild(item);
      items.push(item);
    });
    document.body.appendChild(list);
    const below = window.innerHeight - r.bottom;
    if (list.offsetHeight > below && r.top > below) {
      list.style.top = Math.max(0, r.top - list.offsetHeight) + 'px';
    }
    open = { select, list, items, active: select.selectedIndex };
    highlight(select.selectedIndex);
  }

  document.addEventListener('mousedown', (e) => {
    const select = e.target instanceof Element ? e.target.closest('select') : null;
    if (select && !select.multiple && select.size <= 1 && !select.disabled) {
      e.preventDefault();
      select.focus();
      if (open && open.select === select) close(); else show(select);
      return;
    }
    if (open && !open.list.contains(e.target)) close();
  }, true);

  document.addEventListener('keydown', (e) => {
    if (!open) return;
    const n = open.items.length;
    if (e.key === 'ArrowDown') { highlight(Math.min(n - 1, open.active + 1)); e.preventDefault(); }
    else if (e.key === 'ArrowUp') { highlight(Math.max(0, open.active - 1)); e.preventDefault(); }
    else if (e.key === 'Enter' || e.key === ' ') { choose(open.select, open.active); e.preventDefault(); }
    else if (e.key === 'Escape' || e.key === 'Tab') { close(); }
    else return;
    e.stopPropagation();
  }, true);
  window.addEventListener('scroll', (e) => {
    if (open && !open.list.contains(e.target)) close();
  }, true);
})();
