// The authoring form: add formset rows, and show only the sections the chosen options use.
// Without this script every section shows, with a few empty rows.

for (const formset of document.querySelectorAll("[data-formset]")) {
  const prefix = formset.dataset.prefix;
  const total = formset.querySelector(`input[name="${prefix}-TOTAL_FORMS"]`);
  const template = formset.querySelector("template[data-formset-empty]");
  const rows = formset.querySelector("[data-formset-rows]");
  const add = formset.querySelector("[data-formset-add]");
  add.hidden = false;
  add.addEventListener("click", () => {
    const index = Number(total.value);
    const html = template.innerHTML.replaceAll("__prefix__", String(index));
    rows.insertAdjacentHTML("beforeend", html);
    total.value = String(index + 1);
    rows.lastElementChild.querySelector("input, select, textarea")?.focus();
  });
}

function toggle(selector, visible) {
  for (const element of document.querySelectorAll(selector)) element.hidden = !visible;
}

function fieldOf(name) {
  return document.getElementById(`id_${name}`)?.closest(".field");
}

function refresh() {
  const divided = document.getElementById("id_divided_into_lots");
  const award = document.getElementById("id_award_method");
  const custody = document.getElementById("id_custody");
  if (divided) {
    toggle("[data-lots]", divided.checked);
    const sme = fieldOf("sme_reserved");
    if (sme) sme.hidden = divided.checked;
    // Items of a tender without lots all belong to its one lot.
    for (const input of document.querySelectorAll('input[name^="items-"][name$="-lot"]')) {
      input.closest(".field").hidden = !divided.checked;
    }
  }
  if (award) {
    const weighted = award.value === "weighted";
    toggle("[data-criteria]", weighted);
    const weight = fieldOf("price_weight");
    if (weight) weight.hidden = !weighted;
  }
  if (custody) {
    const committee = custody.value === "committee";
    for (const name of ["custody_threshold", "custodians", "opening_quorum_hours"]) {
      const element = fieldOf(name) || document.getElementById(`id_${name}_0`)?.closest(".field");
      if (element) element.hidden = !committee;
    }
  }
}

document.addEventListener("change", refresh);
refresh();
