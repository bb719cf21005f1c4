"""The page's CSS and its one small script (citation clicks and copy buttons).

The script only scrolls to and opens a source, and copies text; it never inserts markup. Without
it, each [n] is still a plain #anchor to its source.
"""

CSS = """
.rag-header h1 { font-size: 1.6rem; margin: 0 0 0.1rem; }
.rag-header p { margin: 0; color: var(--body-text-color-subdued); }
.rag-header code { font-size: 0.9em; }
#rag-chat .rag-msg, #rag-chat .rag-q { line-height: 1.55; }
.rag-msg p { margin: 0.2rem 0; }
.rag-text { overflow-wrap: anywhere; }
a.rag-cite { font-weight: 600; text-decoration: none; color: var(--color-accent); padding: 0 1px;
             border-radius: 3px; cursor: pointer; }
a.rag-cite:hover { background: var(--color-accent-soft); text-decoration: underline; }
.rag-badge { display: inline-block; font-size: 0.75rem; font-weight: 600; text-transform: uppercase;
             letter-spacing: 0.04em; padding: 1px 8px; border-radius: 999px; margin-bottom: 4px; }
.rag-abstain { border-left: 4px solid #9ca3af; padding-left: 10px; font-style: italic; }
.rag-lead { font-weight: 700; }
.rag-lead-line { font-size: 1.05rem; margin: 0 0 2px !important; }
.rag-s + .rag-s { margin-top: 8px; }
blockquote.rag-quote { margin: 2px 0; padding: 2px 0 2px 12px; border-left: 3px solid var(--color-accent-soft);
                       color: var(--body-text-color); font-size: 0.97rem; overflow-wrap: anywhere; }
blockquote.rag-quote.rag-near { border-left-color: #d1d5db; }
.rag-own { margin: 0.2rem 0; }
.rag-near-label { font-size: 0.85rem; font-style: normal; color: var(--body-text-color-subdued); }
.rag-hint { font-size: 0.85rem; font-style: normal; color: var(--body-text-color-subdued); }
details.rag-fold { display: inline; }
details.rag-fold > summary { display: inline; cursor: pointer; list-style: none; }
details.rag-fold > summary::-webkit-details-marker { display: none; }
.rag-fold-more, .rag-fold-less { color: var(--color-accent); font-size: 0.85rem; white-space: nowrap; }
details.rag-fold[open] .rag-fold-head, details.rag-fold:not([open]) .rag-fold-less { display: none; }
details.rag-fold[open] > summary { display: block; }
.rag-abstain .rag-badge { background: #e5e7eb; color: #374151; font-style: normal; }
.rag-error { border-left: 4px solid #dc2626; padding-left: 10px; }
.rag-error .rag-badge { background: #fee2e2; color: #991b1b; }
.rag-warn { background: #fef3c7; color: #92400e; border-radius: 6px; padding: 4px 8px; margin-bottom: 6px;
            font-size: 0.9rem; }
.rag-notice { background: #e0f2fe; color: #075985; border-radius: 6px; padding: 4px 8px; margin-bottom: 6px;
              font-size: 0.9rem; }
.rag-unsupported { background: #fef3c7; border-radius: 6px; padding: 2px 6px; }
.rag-flag { font-size: 0.8rem; color: #92400e; font-weight: 600; }
.rag-why { font-size: 0.8rem; color: #92400e; }
.rag-hidden-note { font-size: 0.85rem; color: #92400e; }
.rag-pending { color: var(--body-text-color-subdued); }
.rag-cursor { animation: rag-blink 1s steps(2) infinite; margin-left: 2px; }
@keyframes rag-blink { to { visibility: hidden; } }
.rag-empty { font-style: italic; opacity: 0.8; }
.rag-cut { font-size: 0.8rem; opacity: 0.8; }
.rag-actions { margin-top: 4px; }
button.rag-copy { font-size: 0.75rem; padding: 1px 10px; border-radius: 6px; cursor: pointer;
                  border: 1px solid var(--border-color-primary); background: var(--background-fill-primary);
                  color: var(--body-text-color-subdued); }
.rag-copy-text { display: none; }
button.rag-copy:hover { color: var(--body-text-color); }
#rag-sources-col { gap: 8px; }
.rag-sources { padding-right: 4px; overscroll-behavior: contain; }
.rag-sources-title { font-size: 1.15rem; font-weight: 700; margin: 2px 0 0; }
.rag-sources-head { font-weight: 600; margin: 2px 0 8px; overflow-wrap: anywhere; }
.rag-sources-empty, .rag-sources-note { color: var(--body-text-color-subdued); font-size: 0.95rem; }
details.rag-src { border: 1px solid var(--border-color-primary); border-radius: 10px; padding: 8px 10px;
                  margin-bottom: 10px; background: var(--background-fill-primary); scroll-margin: 12px; }
details.rag-src > summary { display: flex; gap: 8px; align-items: flex-start; cursor: pointer; list-style: none;
                            flex-wrap: wrap; }
details.rag-src > summary::-webkit-details-marker { display: none; }
.rag-src-n { flex: none; min-width: 1.6em; height: 1.6em; border-radius: 999px; text-align: center;
             line-height: 1.6em; font-weight: 700; font-size: 0.85rem; background: var(--color-accent);
             color: white; }
.rag-src-head { flex: 1 1 180px; display: flex; flex-direction: column; min-width: 0; }
.rag-src-title { font-weight: 600; overflow-wrap: anywhere; }
.rag-src-by { display: flex; flex-wrap: wrap; gap: 0 10px; font-size: 0.85rem;
              color: var(--body-text-color-subdued); }
.rag-verdict { flex: none; font-size: 0.75rem; font-weight: 600; padding: 1px 8px; border-radius: 999px;
               background: #e5e7eb; color: #374151; white-space: nowrap; }
.rag-verdict.ok { background: #dcfce7; color: #166534; }
.rag-verdict.bad { background: #fef3c7; color: #92400e; }
.rag-verdict.near { background: #e5e7eb; color: #374151; }
blockquote.rag-ctx { margin: 8px 0 4px; padding: 0 0 0 10px; border-left: 3px solid var(--border-color-primary);
                     white-space: pre-line; font-size: 0.92rem; line-height: 1.5; overflow-wrap: anywhere; }
blockquote.rag-ctx mark { background: #fde68a; color: inherit; padding: 1px 2px; border-radius: 3px; }
.rag-src-flag { font-size: 0.85rem; color: #92400e; margin: 2px 0 4px; overflow-wrap: anywhere; }
.rag-src-meta { font-size: 0.75rem; color: var(--body-text-color-subdued); overflow-wrap: anywhere; }
button.rag-back { display: none; margin-left: 10px; font-size: 0.75rem; color: var(--color-accent); background: none;
                  border: none; padding: 0; cursor: pointer; }
details.rag-src.rag-flash { animation: rag-flash 1.6s ease-out; }
details.rag-src.rag-current { border-color: var(--color-accent); box-shadow: 0 0 0 1px var(--color-accent); }
@keyframes rag-flash { 0% { box-shadow: 0 0 0 3px var(--color-accent); } 100% { box-shadow: 0 0 0 0 transparent; } }
#rag-controls { gap: 8px; }
.rag-ingest { font-size: 0.9rem; }
.rag-ingest-files { margin: 4px 0; padding-left: 18px; overflow-wrap: anywhere; }
.rag-ingest-files .ok, .rag-ingest-state.ok { color: #166534; }
.rag-ingest-files .skip { color: var(--body-text-color-subdued); }
.rag-ingest-files .bad, .rag-ingest-state.bad { color: #991b1b; }
.rag-ingest-state { margin: 4px 0; color: var(--body-text-color-subdued); }
.rag-spinner { display: inline-block; width: 0.8em; height: 0.8em; border: 2px solid var(--color-accent);
               border-right-color: transparent; border-radius: 50%; animation: rag-spin 0.8s linear infinite;
               vertical-align: -1px; }
@keyframes rag-spin { to { transform: rotate(360deg); } }
#rag-footer { font-size: 0.8rem; color: var(--body-text-color-subdued); }
#rag-footer code { white-space: normal; overflow-wrap: anywhere; }
/* Wide screens: the page fits the window; the chat and the sources panel each scroll on their own. */
@media (min-width: 900px) {
  #rag-row { flex-wrap: nowrap; }
  #rag-chat { height: calc(100vh - 405px) !important; min-height: 240px; }
  .rag-sources { max-height: calc(100vh - 300px); min-height: 200px; overflow-y: auto; }
}
/* Narrow screens: chat above sources, the page scrolls. */
@media (max-width: 899px) {
  button.rag-back { display: inline; }
  #rag-row { flex-direction: column; }
  #rag-row > .column { width: 100%; min-width: 0 !important; }
}
@media (max-width: 640px) {
  #rag-drawers { flex-direction: column; }
  .rag-header h1 { font-size: 1.3rem; }
}
"""

# Delegated listeners, so they also work for messages rendered after the page loaded.
HEAD = r"""
<style>
/* Outside the app root, so not in CSS (Gradio scopes that to the root): narrower page margins on phones. */
@media (max-width: 640px) { .main.fillable { padding-left: 10px !important; padding-right: 10px !important; } }
footer > .divider { display: none; }
</style>
<script>
(() => {
  // Bring an element into view by scrolling its own scrolling boxes (the sources panel, the chat),
  // innermost first, then the page if it is still off screen. Never scrollIntoView: it also scrolls
  // Gradio's overflow-hidden containers, which shifts the whole page with no way back.
  const bring = (el, offset) => {
    for (let box = el.parentElement; box && box !== document.body; box = box.parentElement) {
      if (!/(auto|scroll)/.test(getComputedStyle(box).overflowY) || box.scrollHeight <= box.clientHeight + 1) continue;
      const top = el.getBoundingClientRect().top - box.getBoundingClientRect().top + box.scrollTop;
      box.scrollTop = Math.max(0, top - Math.min(offset, box.clientHeight / 3));
    }
    const r = el.getBoundingClientRect();
    if (r.top < 0 || r.bottom > window.innerHeight) {
      window.scrollTo({top: Math.max(0, r.top + window.scrollY - offset), behavior: "smooth"});
    }
  };
  const reveal = (id) => {
    const el = document.getElementById(id);
    if (!el) return false;
    if (el.tagName === "DETAILS") el.open = true;
    document.querySelectorAll("details.rag-src.rag-current").forEach((c) => c.classList.remove("rag-current"));
    el.classList.add("rag-current");
    bring(el, 8);
    el.classList.remove("rag-flash"); void el.offsetWidth; el.classList.add("rag-flash");
    return true;
  };
  let lastLink = null;  // the [n] a reader came from, for "back to the answer" on stacked layouts
  const copy = async (text) => {
    try { await navigator.clipboard.writeText(text); return; } catch (e) {}
    const area = document.createElement("textarea");
    area.value = text; area.style.position = "fixed"; area.style.left = "-9999px";
    document.body.appendChild(area); area.select();
    try { document.execCommand("copy"); } finally { area.remove(); }
  };
  document.addEventListener("click", (ev) => {
    const target = ev.target instanceof Element ? ev.target : null;
    const link = target && target.closest("a.rag-cite");
    if (link) {
      ev.preventDefault();
      lastLink = link;
      const id = (link.getAttribute("href") || "").slice(1);
      // An older answer's sources arrive after the chatbot's select event swaps the panel.
      if (!reveal(id)) {
        let tries = 0;
        const timer = setInterval(() => { if (reveal(id) || ++tries > 50) clearInterval(timer); }, 100);
      }
      return;
    }
    const back = target && target.closest("button.rag-back");
    if (back) {
      ev.preventDefault();
      bring(lastLink && lastLink.isConnected ? lastLink : document.getElementById("rag-chat"), window.innerHeight / 3);
      return;
    }
    const button = target && target.closest("button.rag-copy");
    if (button) {
      ev.preventDefault();
      const box = button.parentElement && button.parentElement.querySelector(".rag-copy-text");
      const text = box ? [...box.children].map((line) => line.textContent).join("\n") : "";
      copy(text).then(() => {
        button.textContent = "Copied";
        setTimeout(() => { button.textContent = "Copy"; }, 1500);
      });
    }
  }, true);
})();
</script>
"""
