// Small progressive enhancements; every page works without this file. Loaded on every page
// (and in the admin), before any page's own scripts.
(() => {
  document.documentElement.classList.add("js"); // scripts run here (a hook for styles)

  // Unsent drafts (static/js/drafts.js, loaded only by pages with a long-text form): saves
  // are confirmed, and people sign out, on any page, so forgetting happens here.
  const PREFIX = "htw-draft:"; // the same names as in drafts.js
  const PENDING = "htw-draft-pending";
  const SAVED_COOKIE = "htw_draft_saved";
  let store;
  let tabStore;
  try {
    store = window.localStorage;
    tabStore = window.sessionStorage;
    store.getItem(PENDING);
  } catch {
    store = null; // storage turned off: there are no drafts to forget
  }

  // The page after this tab's submit: the server's cookie says the text was saved; without it
  // (an error, the form again) the draft stays. Runs before drafts.js puts drafts back.
  function settlePending() {
    const pending = tabStore.getItem(PENDING);
    if (pending === null) return;
    tabStore.removeItem(PENDING);
    if (!document.cookie.split("; ").some((c) => c.startsWith(`${SAVED_COOKIE}=`))) return;
    store.removeItem(PREFIX + pending);
    const secure = location.protocol === "https:" ? "; Secure" : "";
    document.cookie = `${SAVED_COOKIE}=; Max-Age=0; Path=/; SameSite=Lax${secure}`;
  }

  function isSignOut(form) {
    const action = form.getAttribute("action") || "";
    return new URL(action, location.href).pathname.endsWith("/logout/");
  }

  if (store) {
    settlePending();
    // Back to a page kept in the browser's memory: a submit that left it did not save.
    window.addEventListener("pageshow", (event) => {
      if (event.persisted) settlePending();
    });
    // A shared computer: signing out (the site's or the admin's form) leaves no text behind.
    document.addEventListener("submit", (event) => {
      if (!(event.target instanceof HTMLFormElement) || !isSignOut(event.target)) return;
      for (let i = store.length - 1; i >= 0; i--) {
        const name = store.key(i);
        if (name && name.startsWith(PREFIX)) store.removeItem(name);
      }
    });
  }

  // Send htmx requests (pages that load it) with the CSRF token from the form on the page.
  document.addEventListener("htmx:configRequest", (event) => {
    const token = document.querySelector("input[name=csrfmiddlewaretoken]");
    if (token) event.detail.headers["X-CSRFToken"] = token.value;
  });

  // The menu button (base.html): a disclosure that folds the menu on narrow screens, where
  // site.css shows it. Escape closes the open menu and gives the focus back to the button.
  const toggle = document.querySelector(".menu-toggle");
  const menu = toggle && document.getElementById(toggle.getAttribute("aria-controls"));
  if (!toggle || !menu) return;
  const setOpen = (open) => toggle.setAttribute("aria-expanded", String(open));
  toggle.hidden = false;
  toggle.addEventListener("click", () => setOpen(toggle.getAttribute("aria-expanded") !== "true"));
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape" || toggle.getAttribute("aria-expanded") !== "true") return;
    if (!menu.contains(document.activeElement) && document.activeElement !== toggle) return;
    setOpen(false);
    toggle.focus();
  });
})();
