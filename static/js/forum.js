// Forum composer niceties; the forum works without this file.
document.addEventListener("DOMContentLoaded", () => {
  for (const form of document.querySelectorAll("form.forum-composer")) {
    const body = form.querySelector("textarea");
    if (!body) continue;
    const original = body.value;
    let submitting = false;
    form.addEventListener("submit", () => { submitting = true; });
    // Ctrl/Cmd + Enter sends the post.
    body.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        form.requestSubmit();
      }
    });
    // Ask before leaving a page with unsent text.
    window.addEventListener("beforeunload", (event) => {
      if (!submitting && body.value.trim() && body.value !== original) {
        event.preventDefault();
        event.returnValue = "";
      }
    });
  }
});
