// @mention suggestions in the forum composer. Typing @ and the start of a handle lists the
// members who may read this topic (from the form's data-mentions-url); Up/Down move through
// them (aria-activedescendant on the textarea, so focus stays there), Enter or Tab inserts,
// Escape closes; a status line says how many match. The forum works without this file: the
// server points out a handle nobody has when the post is sent.
(() => {
  const form = document.querySelector("form.forum-composer[data-mentions-url]");
  const body = form && form.querySelector("textarea");
  if (!body) return;
  const url = form.dataset.mentionsUrl;
  const list = document.createElement("ul");
  list.id = `${body.id}-mentions`;
  list.className = "mention-list";
  list.setAttribute("role", "listbox");
  list.setAttribute("aria-label", "Members to mention");
  list.hidden = true;
  const status = document.createElement("p");
  status.className = "visually-hidden";
  status.setAttribute("role", "status");
  body.after(list, status);
  body.setAttribute("aria-autocomplete", "list");
  body.setAttribute("aria-controls", list.id);

  let members = [];
  let active = -1;
  let start = -1;
  let timer = 0;
  let request = null;

  const typed = () => {
    const before = body.value.slice(0, body.selectionStart);
    const match = /(^|[^\w@/.-])@([a-z0-9-]{0,40})$/i.exec(before);
    if (!match || body.selectionStart !== body.selectionEnd) return null;
    start = before.length - match[2].length - 1;
    return match[2];
  };

  const close = () => {
    list.hidden = true;
    list.replaceChildren();
    members = [];
    active = -1;
    body.removeAttribute("aria-activedescendant");
  };

  const highlight = (index) => {
    active = index;
    list.querySelectorAll("[role=option]").forEach((option, i) => {
      option.setAttribute("aria-selected", String(i === index));
    });
    if (index < 0) body.removeAttribute("aria-activedescendant");
    else body.setAttribute("aria-activedescendant", `${list.id}-${index}`);
  };

  const insert = (index) => {
    const handle = members[index].handle;
    const end = body.selectionStart;
    body.setRangeText(`@${handle} `, start, end, "end");
    body.dispatchEvent(new Event("input", { bubbles: true }));
    close();
    status.textContent = `Inserted @${handle}.`;
    body.focus();
  };

  const show = (found) => {
    members = found;
    list.replaceChildren(...found.map((member, i) => {
      const option = document.createElement("li");
      option.id = `${list.id}-${i}`;
      option.setAttribute("role", "option");
      option.setAttribute("aria-selected", "false");
      const handle = document.createElement("strong");
      handle.textContent = `@${member.handle}`;
      option.append(handle, ` ${member.name}`);
      // mousedown, not click: the textarea keeps focus and its caret.
      option.addEventListener("mousedown", (event) => { event.preventDefault(); insert(i); });
      return option;
    }));
    list.hidden = found.length === 0;
    active = -1;
    body.removeAttribute("aria-activedescendant");
    status.textContent = found.length
      ? `${found.length} member${found.length === 1 ? "" : "s"} to mention. Up and down arrows to choose, Enter to insert, Escape to close.`
      : "No member's handle starts like that.";
  };

  const suggest = () => {
    const prefix = typed();
    if (prefix === null) { close(); return; }
    if (request) request.abort();
    request = new AbortController();
    fetch(`${url}?q=${encodeURIComponent(prefix)}`, {
      signal: request.signal, credentials: "same-origin", headers: { Accept: "application/json" },
    })
      .then((response) => (response.ok ? response.json() : { members: [] }))
      .then((data) => { if (typed() !== null) show(data.members || []); })
      .catch(() => {});
  };

  body.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(suggest, 150);
  });
  body.addEventListener("blur", () => setTimeout(close, 100));
  body.addEventListener("keydown", (event) => {
    if (list.hidden || !members.length) return;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      const step = event.key === "ArrowDown" ? 1 : -1;
      highlight((active + step + members.length + (active < 0 && step < 0 ? 1 : 0)) % members.length);
    } else if ((event.key === "Enter" || event.key === "Tab") && active >= 0 && !event.ctrlKey && !event.metaKey) {
      event.preventDefault();
      insert(active);
    } else if (event.key === "Escape") {
      event.preventDefault();
      close();
      status.textContent = "Suggestions closed.";
    }
  });
})();
