// guiagent: count the new tabs a page asks for (window.open, links with a target), so the
// driver waits for a tab that Chromium opens a moment after the click returned.
(() => {
  if (window.__guiagentPopupWatch) return;
  window.__guiagentPopupWatch = true;
  const mark = () => { window.__guiagentOpened = (window.__guiagentOpened || 0) + 1; };
  const open = window.open;
  window.open = function (...args) { mark(); return open.apply(this, args); };
  // Counted once the click's dispatch is over, unless a handler cancelled it (the page's
  // setTimeout by then is settle_watch.js's, which waits for a timer the action started).
  document.addEventListener('click', (e) => {
    const a = e.target instanceof Element ? e.target.closest('a[href], area[href]') : null;
    const target = a ? (a.getAttribute('target') || '').toLowerCase() : '';
    if (target && !['_self', '_parent', '_top'].includes(target)) {
      window.setTimeout(() => { if (!e.defaultPrevented) mark(); }, 0);
    }
  }, true);
})();
