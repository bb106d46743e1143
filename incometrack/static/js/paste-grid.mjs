// Rows copied from a spreadsheet arrive as tab-separated lines. Pasted into a cell of a
// [data-paste-grid] table, they fill the grid from that cell rightwards and downwards, a value a
// cell, adding rows as needed (the server checks every line; this only places the text).
export function initPasteGrids(root = document) {
  for (const table of root.querySelectorAll("table[data-paste-grid]")) {
    const total = root.querySelector("[data-grid-total]");
    const showTotal = () => total && updateTotal(table, total);
    table.addEventListener("input", showTotal);
    showTotal();
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
      showTotal();
    });
  }
}

// The lines filled in and the total of their amounts, to tie to the paper sheet as one keys.
// Amounts are added in whole pence (never as floating point); one that does not read as money is
// counted apart, and the server says what is wrong with it.
function updateTotal(table, total) {
  let lines = 0;
  let pence = 0;
  let unread = 0;
  for (const row of table.tBodies[0].rows) {
    const inputs = [...row.querySelectorAll("input")];
    if (!inputs.some((input) => input.value.trim())) continue;
    lines += 1;
    const amount = row.querySelector(".app-grid-input--amount");
    const value = amount ? toPence(amount.value) : null;
    if (value === null) unread += 1;
    else pence += value;
  }
  total.hidden = lines === 0;
  const sign = pence < 0 ? "-" : "";
  const pounds = Math.floor(Math.abs(pence) / 100).toLocaleString("en-GB");
  const rest = String(Math.abs(pence) % 100).padStart(2, "0");
  total.textContent = `${lines} ${lines === 1 ? "line" : "lines"}, totalling ${sign}£${pounds}.${rest}`
    + (unread ? ` (${unread} without an amount that reads as money)` : "");
}

function toPence(text) {
  let value = text.replace(/[£,\s]/g, "");
  let negative = false;
  if (/^\(.*\)$/.test(value)) { negative = true; value = value.slice(1, -1); }
  if (value.startsWith("-")) { negative = !negative; value = value.slice(1); }
  const match = /^(\d+)(?:\.(\d{1,2}))?$/.exec(value);
  if (!match) return null;
  const whole = Number(match[1]) * 100 + Number((match[2] || "0").padEnd(2, "0"));
  return negative ? -whole : whole;
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
