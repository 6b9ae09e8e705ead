// The category field: type a code or words of a CPV name, pick from the suggestions. Without
// this script the field still takes an 8-digit code.
(function () {
  "use strict";
  for (const input of document.querySelectorAll("[data-cpv-picker]")) {
    const list = document.createElement("datalist");
    list.id = `${input.id}-options`;
    input.after(list);
    input.setAttribute("list", list.id);
    let timer = null;
    let asked = "";
    input.addEventListener("input", () => {
      clearTimeout(timer);
      const query = input.value.trim();
      if (query.length < 2 || query === asked || /^\d{8}\s/.test(query)) return;
      timer = setTimeout(async () => {
        asked = query;
        const response = await fetch(`${input.dataset.cpvPicker}?q=${encodeURIComponent(query)}`, { headers: { Accept: "application/json" } });
        if (!response.ok) return;
        const data = await response.json();
        const rows = (Array.isArray(data) ? data : data.results || []).slice(0, 25);
        list.replaceChildren(
          ...rows.map((row) => {
            const option = document.createElement("option");
            option.value = `${row.code} ${row.name}`;
            return option;
          }),
        );
      }, 200);
    });
  }
})();
