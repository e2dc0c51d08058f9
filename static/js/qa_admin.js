// The admin's rich-text editors (the answer, a library entry) are a contenteditable box made
// by the editor's script: give it the name of its field's label, so that a screen reader says
// what the box is for (the label points at the hidden textarea the editor replaces).
document.addEventListener("prose-editor:ready", (event) => {
  const { editor, textarea } = event.detail;
  const box = editor && editor.view && editor.view.dom;
  const label = textarea.id && document.querySelector(`label[for="${textarea.id}"]`);
  if (!box || !label || box.hasAttribute("aria-label")) return;
  box.setAttribute("aria-label", label.textContent.replace(/:\s*$/, "").trim());
  box.setAttribute("aria-multiline", "true");
});
