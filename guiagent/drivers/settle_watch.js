// guiagent: what the last input started, so the driver waits for exactly that (drivers/settle.py).
(() => {
  if (window.__guiagentSettle) return;
  const now = () => performance.now();
  // Work started since the first trusted input after the last settle counts as the action's:
  // fetches and XHRs, short timers, animation frames, finite CSS animations, DOM mutations.
  // Timers and frames scheduled from a callback inherit that callback's origin, so a clock or
  // a spinner the page ran before the action never counts (it must not stall the step).
  let mark = -1;
  let markFrame = -1;
  let origin = null;          // the origin of the callback now running ('action' | 'page')
  let mutatedAt = -1;         // the last DOM mutation not made by a page-origin callback
  let navigating = false;
  const pending = new Map();  // id -> [start time, 'network' | 'frame'] of the action's work
  let nextId = 0;
  const since = () => (mark < 0 ? Infinity : mark);
  const ours = () => origin === 'action' || (origin === null && mark >= 0);
  const begin = (kind) => {
    if (!ours()) return 0;
    const id = ++nextId;
    pending.set(id, [now(), kind]);
    return id;
  };
  const end = (id) => { if (id) pending.delete(id); };
  const observer = new MutationObserver(() => { if (ours()) mutatedAt = now(); });
  const observe = () => observer.observe(document, {subtree: true, childList: true, attributes: true,
                                                    characterData: true});
  if (document.documentElement) observe(); else document.addEventListener('DOMContentLoaded', observe);
  const wrapCallback = (fn, id, from) => function (...args) {
    end(id);
    const outer = origin;
    origin = from;
    try { return fn.apply(this, args); } finally {
      if (observer.takeRecords().length && from === 'action') mutatedAt = now();
      origin = outer;
    }
  };
  const fromNow = () => (ours() ? 'action' : 'page');
  const timeout = window.setTimeout, clear = window.clearTimeout;
  const timerIds = new Map();
  window.setTimeout = function (fn, delay, ...rest) {
    if (typeof fn !== 'function') return timeout.call(this, fn, delay, ...rest);
    const id = Number(delay || 0) <= 500 ? begin('frame') : 0;
    const handle = timeout.call(this, wrapCallback(fn, id, fromNow()), delay, ...rest);
    if (id) timerIds.set(handle, id);
    return handle;
  };
  window.clearTimeout = function (handle) { end(timerIds.get(handle)); timerIds.delete(handle);
                                           return clear.call(this, handle); };
  const interval = window.setInterval;
  window.setInterval = function (fn, delay, ...rest) {  // periodic: never waited for
    if (typeof fn !== 'function') return interval.call(this, fn, delay, ...rest);
    return interval.call(this, wrapCallback(fn, 0, fromNow()), delay, ...rest);
  };
  const raf = window.requestAnimationFrame, caf = window.cancelAnimationFrame;
  const frameIds = new Map();
  window.requestAnimationFrame = function (fn) {
    const id = begin('frame');
    const handle = raf.call(this, wrapCallback(fn, id, fromNow()));
    if (id) frameIds.set(handle, id);
    return handle;
  };
  window.cancelAnimationFrame = function (handle) { end(frameIds.get(handle)); frameIds.delete(handle);
                                                   return caf.call(this, handle); };
  const fetch = window.fetch;
  if (fetch) {
    window.fetch = function (...args) {
      const id = begin('network');
      const promise = fetch.apply(this, args);
      promise.then(() => end(id), () => end(id));
      return promise;
    };
  }
  const send = XMLHttpRequest.prototype.send;
  XMLHttpRequest.prototype.send = function (...args) {
    const id = begin('network');
    this.addEventListener('loadend', () => end(id), {once: true});
    return send.apply(this, args);
  };
  // Scrolling happens after the wheel or key event was handled, over the next frames.
  let scrollAsked = false;
  let wheelSeen = false;
  let scrolledAt = -1;
  const SCROLL_KEYS = new Set(['PageDown', 'PageUp', 'ArrowDown', 'ArrowUp', 'ArrowLeft',
                               'ArrowRight', 'Home', 'End', ' ']);
  // Space, the arrows, Home and End scroll only from outside a form control or an editor (in a
  // field they type or move the caret: no frames to wait for); Page Up/Down scroll a textarea too.
  const scrollsPage = (e) => {
    if (!SCROLL_KEYS.has(e.key)) return false;
    if (e.key === 'PageDown' || e.key === 'PageUp') return true;
    const t = e.target;
    return !(t instanceof Element && (t.isContentEditable ||
                                      t.closest('input, textarea, select, button')));
  };
  for (const type of ['pointerdown', 'mousedown', 'mousemove', 'keydown', 'wheel', 'input']) {
    window.addEventListener(type, (e) => {
      if (!e.isTrusted) return;
      if (mark < 0) {
        mark = now();
        // animations' start times are frame times: the frame the input came in counts
        markFrame = document.timeline ? document.timeline.currentTime : mark;
      }
      if (type === 'wheel') wheelSeen = true;
      if (type === 'wheel' || (type === 'keydown' && scrollsPage(e))) scrollAsked = true;
    }, true);
  }
  // Chromium drops a keyboard scroll pressed before the last one's scrollend (a frame or two
  // after its last scroll event): a scroller that moved is waited for until its scrollend.
  const scrollers = new Set();
  const SCROLLEND_WAIT_MS = 120;  // after the last scroll event: two frames at 60 Hz and margin
  window.addEventListener('scroll', (e) => {
    if (mark < 0) return;
    scrolledAt = now();
    if ('onscrollend' in window) scrollers.add(e.target);
  }, true);
  window.addEventListener('scrollend', (e) => { scrollers.delete(e.target); }, true);
  // Events Chromium reports to the driver a moment after the input returned: a file chooser
  // (a click on a file input, showPicker()) and a download (a link with ``download``).
  const expected = new Set();
  window.addEventListener('click', (e) => {
    const t = e.target;
    if (mark >= 0 && !e.defaultPrevented && t instanceof HTMLInputElement && t.type === 'file' &&
        !t.disabled) expected.add('filechooser');
  });
  const picker = HTMLInputElement.prototype.showPicker;
  if (picker) {
    HTMLInputElement.prototype.showPicker = function (...args) {
      if (this.type === 'file') expected.add('filechooser');
      return picker.apply(this, args);
    };
  }
  if (window.navigation) {
    navigation.addEventListener('navigate', (e) => {
      if (e.downloadRequest !== null && e.downloadRequest !== undefined) expected.add('download');
      else if (!e.destination.sameDocument && mark >= 0) navigating = true;
    });
    navigation.addEventListener('navigatesuccess', () => { navigating = false; });
    navigation.addEventListener('navigateerror', () => { navigating = false; });
  }
  // Only while an action is being settled: a navigation that begins after its settle answered
  // (the late start of one already reported, which then got a 204) is none of the next action's.
  window.addEventListener('beforeunload', () => { if (mark >= 0) navigating = true; }, true);
  // Navigations the action asked for before Chromium starts them. A form's submission is
  // "planned": its request leaves a task after the submit event (and the Navigation API's
  // navigate event fires only then), so the driver's next question may come first. The submit
  // events (a click on a submit button, Enter in a field, requestSubmit) and link clicks are
  // kept, and whether their default action was prevented is read once their dispatch is long
  // over: when the driver asks. form.submit() fires no event: it is wrapped.
  const asked = [];  // [event or null, form or link, submitter]
  window.addEventListener('submit', (e) => {
    if (ours() && e.target instanceof HTMLFormElement) asked.push([e, e.target, e.submitter]);
  }, true);
  window.addEventListener('click', (e) => {
    if (!ours() || !(e.target instanceof Element)) return;
    const link = e.target.closest('a[href], area[href], a[*|href]');
    if (link) asked.push([e, link, null]);
  }, true);
  const formSubmit = HTMLFormElement.prototype.submit;
  HTMLFormElement.prototype.submit = function (...args) {
    if (ours()) asked.push([null, this, null]);
    return formSubmit.apply(this, args);
  };
  const SELF = new Set(['', '_self', '_parent', '_top']);
  const WEB = new Set(['http:', 'https:', 'file:', 'data:', 'blob:', 'about:']);
  // 'here': this tab's document is replaced; 'tab': a new tab opens; null: neither
  const destination = ([e, el, submitter]) => {
    if ((e && e.defaultPrevented) || !el.isConnected) return null;
    let url, target;
    if (el instanceof HTMLFormElement) {
      const has = (name) => submitter && submitter.hasAttribute(name);
      const method = (has('formmethod') ? submitter.formMethod : el.method || '').toLowerCase();
      if (method === 'dialog') return null;
      url = has('formaction') ? submitter.formAction : el.action;
      target = has('formtarget') ? submitter.formTarget : el.target;
    } else {
      if (el.hasAttribute('download')) return null;  // a download: expected via navigate
      // attributes, not properties: an SVG link's are SVGAnimatedStrings
      url = el.getAttribute('href') || el.getAttribute('xlink:href') || '';
      target = el.getAttribute('target') || '';
    }
    if (!target) {
      const base = document.querySelector('base[target]');
      target = base ? base.target : '';
    }
    let parsed;
    try { parsed = new URL(url, document.baseURI); } catch (err) { return null; }
    if (!WEB.has(parsed.protocol)) return null;  // javascript:, mailto:, ...
    target = target.toLowerCase();
    if (!SELF.has(target)) {
      // a named frame of this page is navigated in place; any other name opens a tab
      return target !== '_blank' && [...document.querySelectorAll('iframe[name], frame[name]')]
        .some((f) => f.name.toLowerCase() === target) ? null : 'tab';
    }
    if (!(el instanceof HTMLFormElement)) {
      const here = new URL(location.href);
      if (parsed.hash && parsed.href.split('#')[0] === here.href.split('#')[0]) return null;
    }
    return 'here';
  };
  // Reads (and forgets) the navigations the action asked for; true when this tab's document goes.
  const askedToNavigate = () => {
    let here = false;
    for (const entry of asked.splice(0)) {
      let where = null;
      try { where = destination(entry); } catch (err) { /* a page's odd element: no guess */ }
      if (where === 'here') here = true;
      else if (where === 'tab' && entry[0] && entry[0].type === 'submit') {
        window.__guiagentOpened = (window.__guiagentOpened || 0) + 1;  // links: popup_watch.js
      }
    }
    return here;
  };
  const animating = (from) => {
    if (!document.getAnimations) return false;
    for (const a of document.getAnimations()) {
      if (a.playState !== 'running' && a.pending !== true) continue;
      const end = a.effect && a.effect.getComputedTiming ? a.effect.getComputedTiming().endTime : Infinity;
      if (!Number.isFinite(end)) continue;  // a spinner: runs forever, never waited for
      if (a.startTime === null || a.startTime >= Math.min(from, markFrame)) return true;
    }
    return false;
  };
  // Resolves when the action's work is done, a navigation started, or a bound is reached.
  // ``wheel``: the action sent wheel events, which Chromium acknowledges before the page
  // sees them: wait (a few frames at most) for them to arrive.
  Object.defineProperty(window, '__guiagentSettle', {value: (capMs, networkCapMs, wheel) => new Promise((resolve) => {
    const start = now();
    let from = since();
    let lastCheck = start;
    let frames = 0;
    const finish = (why) => {
      mark = -1;
      asked.length = 0;
      scrollAsked = wheelSeen = false;
      scrollers.clear();
      const opened = window.__guiagentOpened || 0;
      window.__guiagentOpened = 0;
      const expect = [...expected];
      expected.clear();
      resolve({why, navigating, opened, expect, frames, waited: now() - start});
      navigating = false;  // one that never commits (a 204 answer, a cancelled unload) is over
    };
    const check = () => {
      if (askedToNavigate()) navigating = true;
      if (navigating) return finish('navigating');
      const t = now();
      from = since();
      let network = false, waiting = false;
      for (const [started, kind] of pending.values()) {
        if (started < from) continue;
        if (kind === 'network') network = true; else waiting = true;
      }
      // a scroll asked for: two frames to start, then until a frame passes without scrolling
      const scrolling = (scrollAsked && frames < 2) || scrolledAt >= lastCheck ||
                        (scrollers.size > 0 && t - scrolledAt < SCROLLEND_WAIT_MS) ||
                        (wheel && !wheelSeen && frames < 8);
      const busy = network || waiting || scrolling || mutatedAt >= lastCheck || animating(from);
      frames++;
      lastCheck = t;
      if (!busy) return finish('settled');
      // the network may take its time; animation and timers are bounded tighter (a page
      // that keeps changing must not stall the step)
      if (t - start > (network ? networkCapMs : capMs)) return finish('bounded');
      // the next frame, or a moment in a page that draws no frames (a tab in the background)
      let called = false;
      const once = () => { if (!called) { called = true; check(); } };
      raf.call(window, once);
      timeout.call(window, once, 100);
    };
    if (from === Infinity && !wheel) {
      if (askedToNavigate()) navigating = true;
      return finish(navigating ? 'navigating' : 'no input');
    }
    check();
  }), configurable: false});
})();
