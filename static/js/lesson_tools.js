// The lesson page's learner tools (issue 24), loaded by that page only:
// - notes: htmx saves them as the learner types (lessons/_note_form.html); this shows when a
//   save failed, sends what is unsaved when the page is left, and forgets the browser's copy
//   of the draft (static/js/drafts.js) once the server has it;
// - players: start the video (uploaded, or embedded from YouTube or Vimeo) and the podcast
//   where the learner stopped (on any device: the position is kept on the server), send the
//   position every few seconds while playing and on pause, and offer a playback speed from
//   0.75× to 2× (remembered in this browser);
// - a "Print the chapter" button.
(() => {
  const SEND_EVERY_MS = 10000;
  const SPEED_KEY = "htw-playback-speed";

  function csrfToken() {
    const field = document.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  function setupNotes() {
    const form = document.querySelector(".note-form");
    const text = form && form.querySelector("textarea");
    const status = document.getElementById("note-status");
    if (!form || !text || !status) return;
    let dirty = false;
    const show = (message, failed) => {
      status.textContent = message;
      status.classList.toggle("note-error", failed);
    };
    text.addEventListener("input", () => { dirty = true; });
    text.addEventListener("htmx:beforeRequest", () => { dirty = false; });
    text.addEventListener("htmx:afterRequest", (event) => {
      if (event.detail.successful) {
        // Refused (too long): the answer says why, next to the field; the draft stays.
        if (event.detail.xhr.responseText.includes("note-error")) return;
        try {
          window.localStorage.removeItem(`htw-draft:${form.dataset.draftKey}`);
        } catch {
          // storage turned off: nothing kept to forget
        }
        return;
      }
      dirty = true;
      show("Not saved: the site could not be reached. Your text is kept in this browser; keep typing or press “Save notes” to try again.", true);
    });
    // Leaving within the second before a save: send what is not saved yet.
    const flush = () => {
      if (!dirty || !navigator.sendBeacon) return;
      dirty = false;
      navigator.sendBeacon(form.action, new FormData(form));
    };
    window.addEventListener("pagehide", flush);
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "hidden") flush();
    });
  }

  function setupPlayer(media) {
    const url = media.dataset.positionUrl;
    const material = media.dataset.trackEnd;
    if (url) {
      const saved = Number(media.dataset.position) || 0;
      const restore = () => {
        // Not when it had (nearly) ended: then it starts again from the beginning.
        if (saved > 0 && (!media.duration || saved < media.duration - 5)) media.currentTime = saved;
      };
      if (media.readyState >= 1) restore();
      else media.addEventListener("loadedmetadata", restore, { once: true });
      let sent = Math.floor(saved);
      const send = (beacon) => {
        const seconds = Math.floor(media.currentTime || 0);
        if (seconds === sent) return;
        sent = seconds;
        const body = new FormData();
        body.append("csrfmiddlewaretoken", csrfToken());
        body.append("material", material);
        body.append("seconds", String(seconds));
        if (beacon && navigator.sendBeacon) navigator.sendBeacon(url, body);
        else fetch(url, { method: "POST", body, credentials: "same-origin" }).catch(() => {});
      };
      let timer = null;
      media.addEventListener("play", () => {
        clearInterval(timer);
        timer = setInterval(() => send(false), SEND_EVERY_MS);
      });
      media.addEventListener("pause", () => { clearInterval(timer); send(false); });
      media.addEventListener("ended", () => { clearInterval(timer); });
      media.addEventListener("seeked", () => { if (media.paused) send(false); });
      window.addEventListener("pagehide", () => { if (!media.paused) send(true); });
    }
    const speed = document.querySelector(`[data-speed-for="${media.id}"]`);
    const select = speed && speed.querySelector("select");
    if (!select) return;
    let remembered = null;
    try { remembered = window.localStorage.getItem(SPEED_KEY); } catch { /* storage off */ }
    if (remembered && [...select.options].some((o) => o.value === remembered)) {
      select.value = remembered;
    }
    const apply = () => {
      media.playbackRate = Number(select.value);
      media.defaultPlaybackRate = Number(select.value);
    };
    apply();
    media.addEventListener("loadedmetadata", apply);
    select.addEventListener("change", () => {
      apply();
      try { window.localStorage.setItem(SPEED_KEY, select.value); } catch { /* storage off */ }
    });
    speed.hidden = false;
  }

  function start() {
    setupNotes();
    document.querySelectorAll("video[id], audio[id]").forEach(setupPlayer);
    // An embedded YouTube or Vimeo player, once the learner pressed play (lesson.js).
    document.addEventListener("htw:player", (event) => setupPlayer(event.detail));
    const print = document.querySelector("[data-print-chapter]");
    if (print) {
      print.hidden = false;
      print.addEventListener("click", () => window.print());
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
