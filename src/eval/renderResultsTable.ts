/** One printed metric of one task. */
export interface ResultRow {
  task: string;
  version: number;
  metric: string;
  value: number;
  /** Absent when the metric has no standard error. */
  stderr?: number;
}

/**
 * The results as lm-evaluation-harness prints them (`make_table`, pytablewriter's Markdown), so a table can be
 * compared with the model cards' line by line: `|Task|Version|Metric|Value| |Stderr|`, the task and version only on
 * a task's first row, values to 4 decimals, each column as wide as its widest cell (at least 3), headers centred,
 * text columns left-aligned and number columns right-aligned.
 */
export function renderResultsTable(rows: readonly ResultRow[]): string {
  const cells = rows.map((row, i) => {
    const first = i === 0 || rows[i - 1]!.task !== row.task;
    return [
      first ? row.task : "",
      first ? String(row.version) : "",
      row.metric,
      row.value.toFixed(4),
      row.stderr === undefined ? "" : "±",
      row.stderr === undefined ? "" : row.stderr.toFixed(4),
    ];
  });
  const headers = ["Task", "Version", "Metric", "Value", "", "Stderr"];
  const rightAligned = [false, true, false, true, false, true];
  const widths = headers.map((header, column) => Math.max(3, header.length, ...cells.map((cell) => cell[column]!.length)));
  const line = (values: readonly string[]): string => `|${values.join("|")}|`;
  const centre = (text: string, width: number): string => {
    const left = Math.floor((width - text.length) / 2);
    return " ".repeat(left) + text + " ".repeat(width - text.length - left);
  };
  return [
    line(headers.map((header, column) => centre(header, widths[column]!))),
    line(widths.map((width, column) => (rightAligned[column] ? `${"-".repeat(width - 1)}:` : "-".repeat(width)))),
    ...cells.map((cell) =>
      line(cell.map((text, column) => (rightAligned[column] ? text.padStart(widths[column]!) : text.padEnd(widths[column]!)))),
    ),
  ].join("\n");
}
