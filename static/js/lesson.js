// The lesson page. An embedded YouTube or Vimeo player loads only when the learner presses
// play: until then the page shows a poster, and nothing is asked of the other site.
// For a learner, records progress on its own when they reach the end of the chapter, of a
// video (uploaded or embedded) or of a podcast episode. The mark-done buttons work without
// this file; it posts to the same endpoint with the same form fields (and the CSRF token),
// and htmx swaps in the new status.
document.addEventListener("DOMContentLoaded", () => {
  const recorded = new Set();

  function record(material) {
    if (recorded.has(material)) return;
    const status = document.getElementById(`status-${material}`);
    if (!status) return;
    const form = status.querySelector("form");
    const done = form && form.querySelector("input[name=done]");
    // Already done (the form offers "not done"): nothing to record.
    if (!form || !done || done.value !== "1") return;
    recorded.add(material);
    const body = new FormData(form);
    if (window.htmx) {
      window.htmx.ajax("POST", form.action, {
        target: `#status-${material}`,
        swap: "outerHTML",
        values: Object.fromEntries(body.entries()),
      });
    } else {
      fetch(form.action, {
        method: "POST",
        body,
        headers: { "X-CSRFToken": body.get("csrfmiddlewaretoken") },
        credentials: "same-origin",
      });
    }
  }

  document.querySelectorAll("video[data-track-end], audio[data-track-end]").forEach((media) => {
    media.addEventListener("ended", () => record(media.dataset.trackEnd));
  });

  // An embedded YouTube or Vimeo player reports the end of the video by postMessage. We ask
  // it to (each provider has its own message format) and accept answers only from that frame.
  function listenToPlayer(frame) {
    const origin = new URL(frame.src).origin;
    const vimeo = origin === "https://player.vimeo.com";
    let heard = false;
    let tries = 0;
    const send = (message) => {
      if (frame.contentWindow) frame.contentWindow.postMessage(JSON.stringify(message), origin);
    };
    const subscribe = () => {
      if (vimeo) {
        send({ method: "addEventListener", value: "ended" });
      } else {
        send({ event: "listening", id: 1, channel: "widget" });
        send({ event: "command", func: "addEventListener", args: ["onStateChange"], id: 1, channel: "widget" });
      }
    };
    // The player may not be listening yet when the frame loads: ask again until it answers.
    const timer = window.setInterval(() => {
      tries += 1;
      if (heard || tries > 20) window.clearInterval(timer);
      else subscribe();
    }, 500);
    frame.addEventListener("load", subscribe);
    window.addEventListener("message", (event) => {
      if (event.origin !== origin || event.source !== frame.contentWindow) return;
      let data = event.data;
      if (typeof data === "string") {
        try { data = JSON.parse(data); } catch { return; }
      }
      if (!data || typeof data !== "object") return;
      if (!heard) { heard = true; subscribe(); }
      const info = data.info;
      const ended =
        data.event === "ended" ||
        (data.event === "onStateChange" && info === 0) ||
        (data.event === "infoDelivery" && info && info.playerState === 0);
      if (ended) record(frame.dataset.trackEnd);
    });
  }

  for (const poster of document.querySelectorAll("[data-video-src]")) {
    const play = poster.querySelector("button.video-play");
    if (!play) continue;
    play.hidden = false;
    play.addEventListener("click", () => {
      const frame = document.createElement("iframe");
      frame.src = `${poster.dataset.videoSrc}&autoplay=1`;
      frame.title = poster.dataset.videoTitle;
      frame.dataset.trackEnd = "video";
      frame.allow = "autoplay; fullscreen; picture-in-picture; encrypted-media";
      frame.allowFullscreen = true;
      frame.referrerPolicy = "strict-origin-when-cross-origin";
      poster.replaceChildren(frame);
      poster.classList.remove("video-poster");
      listenToPlayer(frame);
      frame.focus();
    });
  }

  const end = document.querySelector("[data-chapter-end]");
  if (end && "IntersectionObserver" in window) {
    // Only count it once the learner has scrolled: a short chapter on a tall screen is not read.
    let scrolled = false;
    let visible = false;
    const check = () => { if (scrolled && visible) record("chapter"); };
    window.addEventListener("scroll", () => { scrolled = true; check(); }, { passive: true });
    const observer = new IntersectionObserver((entries) => {
      visible = entries.some((entry) => entry.isIntersecting);
      check();
    });
    observer.observe(end);
  }
});
