// guiagent: the overlay that shows what headless Chromium draws nowhere: a JS dialog
// (alert/confirm/prompt/beforeunload) or a file chooser. It is rendered on guiagent's
// own overlay page (never inside the site's page, which a dialog keeps frozen and which
// could forge a picker), over a screenshot of the site, at the same size. The model
// answers it as a person would: clicks OK/Cancel or a file, types into the prompt
// field, presses Enter (OK) or Escape (Cancel). The answer is left in
// window.__guiagentAnswer for the driver to read after each action.
// Same look and same idea as select_shim.js, the in-page list for native <select>s.
window.__guiagentShowOverlay = (spec) => {
  window.__guiagentAnswer = null;
  const answer = (value) => { if (!window.__guiagentAnswer) window.__guiagentAnswer = value; };
  const el = (tag, style, text) => {
    const node = document.createElement(tag);
    Object.assign(node.style, style || {});
    if (text !== undefined) node.textContent = text;
    return node;
  };
  document.body.replaceChildren();
  Object.assign(document.body.style, { margin: '0', overflow: 'hidden', background: '#fff',
    font: '15px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif' });
  if (spec.background) {
    document.body.appendChild(el('img', { position: 'fixed', left: '0', top: '0',
      width: '100vw', height: '100vh' })).src = spec.background;
  }
  const shade = document.body.appendChild(el('div', { position: 'fixed', inset: '0',
    background: 'rgba(0,0,0,.35)' }));
  const box = shade.appendChild(el('div', { position: 'absolute', left: '50%', top: '18%',
    transform: 'translateX(-50%)', width: 'min(460px, 90vw)', background: '#fff',
    borderRadius: '10px', boxShadow: '0 8px 30px rgba(0,0,0,.35)', padding: '18px 20px',
    color: '#111', boxSizing: 'border-box' }));
  box.setAttribute('role', 'dialog');
  box.setAttribute('data-guiagent-overlay', spec.kind);
  box.appendChild(el('div', { fontWeight: '600', marginBottom: '8px' }, spec.title));
  if (spec.message) {
    box.appendChild(el('div', { whiteSpace: 'pre-wrap', wordBreak: 'break-word',
      maxHeight: '40vh', overflow: 'auto', marginBottom: '12px' }, spec.message));
  }
  let field = null;
  if (spec.input !== undefined && spec.input !== null) {
    field = box.appendChild(el('input', { width: '100%', boxSizing: 'border-box',
      font: 'inherit', padding: '6px 8px', border: '2px solid #1a73e8', borderRadius: '4px',
      marginBottom: '12px' }));
    field.setAttribute('data-guiagent-prompt', '');
    field.value = spec.input;
  }
  (spec.files || []).forEach((file, i) => {
    const row = box.appendChild(el('div', { display: 'flex', justifyContent: 'space-between',
      gap: '16px', padding: '8px 10px', border: '1px solid #ccc', borderRadius: '6px',
      marginBottom: '6px', cursor: 'pointer' }));
    row.setAttribute('role', 'option');
    row.setAttribute('data-guiagent-file', String(i));
    row.appendChild(el('span', { fontWeight: '600', overflow: 'hidden',
      textOverflow: 'ellipsis', whiteSpace: 'nowrap' }, file.name));
    row.appendChild(el('span', { color: '#555', whiteSpace: 'nowrap' }, file.size));
    row.addEventListener('mouseenter', () => { row.style.background = '#e8f0fe'; });
    row.addEventListener('mouseleave', () => { row.style.background = ''; });
    row.addEventListener('click', () => answer({ accept: true, file: i }));
  });
  if (spec.files && !spec.files.length) {
    box.appendChild(el('div', { color: '#555', marginBottom: '12px' },
      'No files were declared for this run.'));
  }
  const bar = box.appendChild(el('div', { display: 'flex', justifyContent: 'flex-end',
    gap: '10px', marginTop: '6px' }));
  spec.buttons.forEach((b) => {
    const button = bar.appendChild(el('button', { font: 'inherit', padding: '6px 18px',
      borderRadius: '6px', cursor: 'pointer', border: b.primary ? '1px solid #1a73e8' : '1px solid #999',
      background: b.primary ? '#1a73e8' : '#fff', color: b.primary ? '#fff' : '#1a73e8' }, b.label));
    button.setAttribute('data-guiagent-button', b.accept ? 'accept' : 'dismiss');
    button.addEventListener('click', () => answer({ accept: b.accept, text: field ? field.value : null }));
  });
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && spec.enterAccepts) {
      answer({ accept: true, text: field ? field.value : null });
    } else if (e.key === 'Escape') {
      answer({ accept: false, text: null });
    } else return;
    e.preventDefault();
  }, true);
  if (field) { field.focus(); field.select(); }
  return true;
};
