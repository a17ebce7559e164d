/**
 * Formats rows as a plain-text table with a header row, columns padded to their widest cell.
 * Missing cells print empty; no colours, so the output pipes cleanly.
 */
export function formatTable(columns: readonly string[], rows: readonly (readonly (string | number | undefined)[])[]): string {
  const cells = [columns.map(String), ...rows.map((r) => columns.map((_, i) => (r[i] === undefined ? "" : String(r[i]))))];
  const widths = columns.map((_, i) => Math.max(...cells.map((r) => r[i]!.length)));
  return cells.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join("  ").trimEnd()).join("\n") + "\n";
}
