// Unsent drafts (lib/drafts.py). What someone types into a form marked data-draft-key (or, in
// the admin, a textarea marked so) is kept in this browser's localStorage as they type, and
// put back when the form comes back without it after a failed submit: the site down or busy,
// a lost connection. The text never leaves the browser this way. A draft is forgotten when
// the server confirms the save (the htw_draft_saved cookie on the page that follows the
// submit), when it is discarded, after 30 days, and all drafts when someone signs out.
// Loaded only by the pages with such a form (templates/_drafts.html, and the admin); the
// forgetting after a confirmed save or a sign-out is done by site.js, on every page.
(() => {
  const PREFIX = "htw-draft:"; // the same names as in site.js
  const PENDING = "htw-draft-pending"; // sessionStorage: the key this tab has just sent
  const MAX_AGE_MS = 30 * 24 * 60 * 60 * 1000;
  const DELAY_MS = 400;

  let store;
  let tabStore;
  try {
    store = window.localStorage;
    tabStore = window.sessionStorage;
    store.getItem(PENDING);
  } catch {
    return; // storage turned off: the forms work as before, without drafts
  }

  // A rich-text editor (the admin's answer) reads its textarea once, when it starts: a draft
  // restored later has to be handed to the editor itself.
  const editors = new WeakMap();
  document.addEventListener("prose-editor:ready", (event) => {
    editors.set(event.detail.textarea, event.detail.editor);
  });

  function read(key) {
    try {
      return JSON.parse(store.getItem(PREFIX + key));
    } catch {
      return null;
    }
  }

  function forget(key) {
    store.removeItem(PREFIX + key);
  }

  function setValue(field, value) {
    field.value = value;
    const editor = editors.get(field);
    if (editor) editor.commands.setContent(value);
  }

  function save(key, fields) {
    const values = {};
    let changed = false;
    for (const field of fields) {
      values[field.name] = field.value;
      if (field.value !== field.defaultValue) changed = true;
    }
    try {
      if (changed) store.setItem(PREFIX + key, JSON.stringify({ savedAt: Date.now(), values }));
      else forget(key);
    } catch {
      // storage full: the form itself still works
    }
  }

  function announce(key, element, restored) {
    const note = document.createElement("p");
    note.className = "message draft-notice";
    note.setAttribute("role", "status");
    note.textContent = "Restored your unsent draft. ";
    const discard = document.createElement("button");
    discard.type = "button";
    discard.className = "link-button";
    discard.textContent = "Discard it";
    discard.addEventListener("click", () => {
      for (const field of restored) setValue(field, field.defaultValue);
      forget(key);
      note.remove();
    });
    note.append(discard);
    if (element.matches("form")) element.prepend(note);
    else (element.closest(".prose-editor") || element).before(note);
  }

  function restore(key, element, fields) {
    const draft = read(key);
    if (!draft || typeof draft.values !== "object") return;
    if (!(Date.now() - draft.savedAt < MAX_AGE_MS)) {
      forget(key);
      return;
    }
    // Only into fields that still hold what the page came with (empty, or the saved text when
    // editing): never over what was typed or sent back with an error since.
    const restored = fields.filter((field) => {
      const value = draft.values[field.name];
      if (typeof value !== "string" || !value.trim()) return false;
      if (field.value !== field.defaultValue || value.trim() === field.value.trim()) return false;
      setValue(field, value);
      return true;
    });
    if (restored.length) announce(key, element, restored);
  }

  function keep(element) {
    const key = element.dataset.draftKey;
    const form = element.closest("form");
    // (Not the admin's hidden template for another inline form.)
    const fields = (
      element.matches("textarea")
        ? [element]
        : [...element.querySelectorAll("textarea[name], input[type=text][name]")]
    ).filter((field) => !field.name.includes("__prefix__"));
    if (!key || !form || !fields.length) return;
    restore(key, element, fields);
    let timer = null;
    const flush = () => {
      clearTimeout(timer);
      timer = null;
      save(key, fields);
    };
    element.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(flush, DELAY_MS);
    });
    window.addEventListener("pagehide", () => {
      if (timer) flush();
    });
    form.addEventListener("submit", () => {
      flush();
      tabStore.setItem(PENDING, key);
    });
  }

  function start() {
    for (const element of document.querySelectorAll("[data-draft-key]")) keep(element);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
