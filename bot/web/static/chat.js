// The chat page's own script (bot/web/app.py puts it in the page head).
(() => {
  const copy = async (btn) => {
    const msg = btn.closest('.nb-msg');
    const src = msg && msg.querySelector('.nb-copytext');
    const text = src ? src.textContent : '';
    try { await navigator.clipboard.writeText(text); }
    catch (e) {
      const ta = document.createElement('textarea');
      ta.value = text; document.body.appendChild(ta); ta.select();
      document.execCommand('copy'); ta.remove();
    }
    btn.textContent = 'Copied';
    setTimeout(() => { btn.textContent = 'Copy'; }, 1500);
  };
  document.addEventListener('click', (ev) => {
    const t = ev.target;
    if (!(t instanceof Element)) return;
    const cite = t.closest('a.nb-cite');
    if (cite && !cite.closest('#nb-sources')) {
      if (ev.ctrlKey || ev.metaKey || ev.shiftKey) return;
      ev.preventDefault(); ev.stopPropagation();
      window.nbCiteHref = cite.getAttribute('href') || '';
      const bridge = document.getElementById('nb-cite-btn');
      if (bridge) bridge.click();
      const panel = document.getElementById('nb-sources');
      if (panel) panel.scrollIntoView({block: 'nearest', behavior: 'smooth'});
      return;
    }
    const btn = t.closest('button.nb-copy');
    if (btn) { ev.preventDefault(); ev.stopPropagation(); copy(btn); }
  }, true);
  // Typed text takes its direction from its first letter (Arabic right-to-left).
  document.addEventListener('focusin', (ev) => {
    const t = ev.target;
    if ((t instanceof HTMLTextAreaElement || t instanceof HTMLInputElement)
        && !t.hasAttribute('dir')) t.setAttribute('dir', 'auto');
  });
})();
