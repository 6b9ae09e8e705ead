// A "Copy" button beside every element marked data-copy: keys, signatures, receipts.
// Without JavaScript the text is still there to select.
const label = document.documentElement.lang.startsWith("zh") ? ["复制", "已复制"] : ["Copy", "Copied"];

for (const source of document.querySelectorAll("[data-copy]")) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "copy-button";
  button.textContent = label[0];
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(source.textContent.trim());
      button.textContent = label[1];
      setTimeout(() => { button.textContent = label[0]; }, 2000);
    } catch {
      window.getSelection().selectAllChildren(source);  // no clipboard access: select it instead
    }
  });
  source.after(button);
}
