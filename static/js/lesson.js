// Records progress on its own when a learner reaches the end of the chapter or of a video or
// podcast episode. The mark-done buttons work without this file; it posts to the same
// endpoint with the same form fields (and the CSRF token), and htmx swaps in the new status.
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

  document.querySelectorAll("[data-track-end]").forEach((media) => {
    media.addEventListener("ended", () => record(media.dataset.trackEnd));
  });

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
