// Staff admin: poll an issue's sending progress (sent / total, failures) while it goes out.
(function () {
  "use strict";
  function start(panel) {
    var url = panel.getAttribute("data-tift-progress");
    var bar = panel.querySelector("progress");
    var text = panel.querySelector(".tift-progress-text");
    var heading = panel.querySelector("h2");
    function update() {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : Promise.reject(response.status); })
        .then(function (data) {
          bar.max = Math.max(data.total, 1);
          bar.value = data.done;
          text.textContent = data.sent + " sent of " + data.total + " · " + data.failed + " failed · " +
            data.skipped + " skipped (unsubscribed) · " + data.queued + " to go";
          if (data.status === "sent") {
            heading.textContent = "Sent";
            return;
          }
          window.setTimeout(update, 2000);
        })
        .catch(function () { window.setTimeout(update, 10000); });
    }
    update();
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-tift-progress]").forEach(start);
  });
})();
