// How long ago: the server writes each moment in the reader's time zone (which pages can cache);
// this words it relatively ("3 minutes ago") and keeps the moment itself as the tooltip.
(() => {
  const words = new Intl.RelativeTimeFormat(document.documentElement.lang || "en", { numeric: "auto" });
  const units = [["year", 31536000], ["month", 2592000], ["week", 604800], ["day", 86400], ["hour", 3600], ["minute", 60]];
  const ago = (moment) => {
    const seconds = (moment - Date.now()) / 1000;
    for (const [unit, size] of units) {
      if (Math.abs(seconds) >= size) return words.format(Math.trunc(seconds / size), unit);
    }
    return "just now";
  };
  for (const element of document.querySelectorAll("time[data-relative]")) {
    const moment = new Date(element.dateTime);
    if (Number.isNaN(moment.getTime())) continue;
    element.title = element.textContent;
    element.textContent = ago(moment);
  }
})();
