// Rows copied from a spreadsheet arrive as tab-separated lines. Pasted into a cell of a
// [data-paste-grid] table, they fill the grid from that cell rightwards and downwards, a value a
// cell, adding rows as needed (the server checks every line; this only places the text).
export function initPasteGrids(root = document) {
  for (const table of root.querySelectorAll("table[data-paste-grid]")) {
    table.addEventListener("paste", (event) => {
      const start = event.target.closest("input");
      const text = event.clipboardData && event.clipboardData.getData("text/plain");
      if (!start || !text || !/[\t\n]/.test(text)) return;
      event.preventDefault();
      const body = table.tBodies[0];
      const firstRow = [...body.rows].indexOf(start.closest("tr"));
      const all = text.replace(/\r\n?/g, "\n").replace(/\n$/, "").split("\n");
      // The grid holds what the server takes at once; the rest is not placed, and the page says so.
      const room = Number(table.dataset.maxRows || Infinity) - firstRow;
      const lines = all.slice(0, room);
      const status = document.getElementById(table.getAttribute("aria-describedby"));
      if (status) {
        status.textContent = lines.length < all.length
          ? `${all.length} lines were pasted but the grid holds ${table.dataset.maxRows}: the first ${lines.length} are in the grid and the other ${all.length - lines.length} were not placed. Record these, then paste the rest.`
          : `${lines.length} lines pasted into the grid.`;
      }
      const firstColumn = [...start.closest("tr").querySelectorAll("input")].indexOf(start);
      lines.forEach((line, offset) => {
        while (body.rows.length <= firstRow + offset) addRow(body);
        const inputs = body.rows[firstRow + offset].querySelectorAll("input");
        line.split("\t").forEach((value, column) => {
          const input = inputs[firstColumn + column];
          if (input) input.value = value.trim();
        });
      });
    });
  }
}

function addRow(body) {
  const last = body.rows[body.rows.length - 1];
  const index = body.rows.length;
  const row = last.cloneNode(true);
  row.querySelector("th").textContent = String(index + 1);
  for (const element of row.querySelectorAll("[id], [for], [name], [aria-describedby]")) {
    for (const attribute of ["id", "for", "name"]) {
      const value = element.getAttribute(attribute);
      if (value) element.setAttribute(attribute, value.replace(/rows-\d+-/, `rows-${index}-`));
    }
    if (element.matches("label")) element.textContent = element.textContent.replace(/^Row \d+/, `Row ${index + 1}`);
    element.removeAttribute("aria-describedby");
  }
  for (const error of row.querySelectorAll(".govuk-error-message")) error.remove();
  for (const group of row.querySelectorAll(".govuk-form-group--error")) group.classList.remove("govuk-form-group--error");
  for (const input of row.querySelectorAll("input")) {
    input.value = "";
    input.classList.remove("govuk-input--error");
  }
  body.appendChild(row);
}
