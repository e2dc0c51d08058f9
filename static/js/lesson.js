// The lesson page. An embedded YouTube or Vimeo player loads only when the learner presses
// play: until then the page shows a poster, and nothing is asked of the other site. Once
// loaded, it is handed to lesson_tools.js (the "htw:player" event), which keeps its position
// and speed as it does for the uploaded video and the podcast.
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

  // An embedded YouTube or Vimeo player, seen through the part of a <video> element that
  // lesson_tools.js uses to keep the position and the speed: currentTime, duration, paused,
  // readyState and playbackRate, and the play, pause, seeked, ended and loadedmetadata
  // events. The player speaks postMessage, each provider in its own format; we subscribe
  // to its events and believe only messages from its own frame.
  const YOUTUBE_STATES = { 0: "ended", 1: "play", 2: "pause" };

  class EmbeddedPlayer extends EventTarget {
    constructor(frame, poster) {
      super();
      this.frame = frame;
      this.id = poster.id;
      this.dataset = poster.dataset;
      this.origin = new URL(frame.src).origin;
      this.vimeo = this.origin === "https://player.vimeo.com";
      this.time = 0;
      this.rate = 1;
      this.duration = 0;
      this.readyState = 0;
      this.paused = true;
      this.state = "";
      this.heard = false;
      // The player may not be listening yet when the frame loads: ask again until it answers.
      let tries = 0;
      const timer = window.setInterval(() => {
        tries += 1;
        if (this.heard || tries > 20) window.clearInterval(timer);
        else this.subscribe();
      }, 500);
      frame.addEventListener("load", () => this.subscribe());
      window.addEventListener("message", (event) => this.receive(event));
    }

    get currentTime() { return this.time; }

    set currentTime(seconds) {
      this.time = seconds;
      if (this.vimeo) this.send({ method: "setCurrentTime", value: seconds });
      else this.youtube("seekTo", [seconds, true]);
    }

    get playbackRate() { return this.rate; }

    set playbackRate(rate) {
      this.rate = rate;
      if (this.vimeo) this.send({ method: "setPlaybackRate", value: rate });
      else this.youtube("setPlaybackRate", [rate]);
    }

    send(message) {
      if (this.frame.contentWindow) {
        this.frame.contentWindow.postMessage(JSON.stringify(message), this.origin);
      }
    }

    youtube(func, args) {
      this.send({ event: "command", func, args, id: 1, channel: "widget" });
    }

    subscribe() {
      if (this.vimeo) {
        for (const name of ["play", "pause", "seeked", "ended", "timeupdate"]) {
          this.send({ method: "addEventListener", value: name });
        }
        this.send({ method: "getDuration" });
      } else {
        this.send({ event: "listening", id: 1, channel: "widget" });
        this.youtube("addEventListener", ["onStateChange"]);
      }
    }

    receive(event) {
      if (event.origin !== this.origin || event.source !== this.frame.contentWindow) return;
      let data = event.data;
      if (typeof data === "string") {
        try { data = JSON.parse(data); } catch { return; }
      }
      if (!data || typeof data !== "object") return;
      if (!this.heard) { this.heard = true; this.subscribe(); }
      if (this.vimeo) this.fromVimeo(data);
      else this.fromYouTube(data);
    }

    fromVimeo(data) {
      if (data.method === "getDuration") this.loaded(data.value);
      const info = data.data;
      if (info && typeof info === "object") {
        if (typeof info.seconds === "number") this.time = info.seconds;
        this.loaded(info.duration);
      }
      if (["play", "pause", "ended"].includes(data.event)) this.changed(data.event);
      if (data.event === "seeked") this.dispatchEvent(new Event("seeked"));
    }

    fromYouTube(data) {
      const info = data.info;
      if (data.event === "onStateChange") this.changed(YOUTUBE_STATES[info]);
      if (!["initialDelivery", "infoDelivery"].includes(data.event)) return;
      if (!info || typeof info !== "object") return;
      if (typeof info.currentTime === "number") this.time = info.currentTime;
      this.loaded(info.duration);
      if ("playerState" in info) this.changed(YOUTUBE_STATES[info.playerState]);
    }

    // The first time the player tells its length, as a <video> does with loadedmetadata.
    loaded(duration) {
      if (this.readyState || typeof duration !== "number" || duration <= 0) return;
      this.duration = duration;
      this.readyState = 1;
      this.dispatchEvent(new Event("loadedmetadata"));
    }

    changed(state) {
      if (!state || state === this.state) return;
      this.state = state;
      this.paused = state !== "play";
      this.dispatchEvent(new Event(state));
    }
  }

  for (const poster of document.querySelectorAll("[data-video-src]")) {
    const play = poster.querySelector("button.video-play");
    if (!play) continue;
    play.hidden = false;
    play.addEventListener("click", () => {
      const frame = document.createElement("iframe");
      frame.src = `${poster.dataset.videoSrc}&autoplay=1`;
      frame.title = poster.dataset.videoTitle;
      frame.allow = "autoplay; fullscreen; picture-in-picture; encrypted-media";
      frame.allowFullscreen = true;
      frame.referrerPolicy = "strict-origin-when-cross-origin";
      poster.replaceChildren(frame);
      poster.classList.remove("video-poster");
      const player = new EmbeddedPlayer(frame, poster);
      player.addEventListener("ended", () => record(poster.dataset.trackEnd));
      // lesson_tools.js starts it where the learner stopped and at their speed.
      document.dispatchEvent(new CustomEvent("htw:player", { detail: player }));
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
