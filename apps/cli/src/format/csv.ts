/** One CSV line (RFC 4180): a field is quoted when it holds a comma, a quote or a line break. */
export function toCsvLine(fields: readonly (string | number | undefined)[]): string {
  return fields
    .map((f) => {
      const s = f === undefined ? "" : String(f);
      return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
    })
    .join(",");
}

/** A parsed CSV record with the 1-based line it starts on, for error messages. */
export interface CsvRecord {
  line: number;
  fields: string[];
}

/**
 * Parses CSV text (RFC 4180: quoted fields may hold commas, doubled quotes and line breaks). Blank lines
 * are skipped. Throws an Error naming the line of an unterminated quote.
 */
export function parseCsv(text: string): CsvRecord[] {
  const records: CsvRecord[] = [];
  let fields: string[] = [];
  let field = "";
  let quoted = false;
  let line = 1;
  let recordLine = 1;
  let fieldStarted = false;
  const endRecord = (): void => {
    if (fieldStarted || fields.length > 0 || field !== "") {
      fields.push(field);
      records.push({ line: recordLine, fields });
    }
    fields = [];
    field = "";
    fieldStarted = false;
  };
  for (let i = text.charCodeAt(0) === 0xfeff ? 1 : 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') {
        quoted = false;
      } else {
        if (c === "\n") line++;
        field += c;
      }
    } else if (c === '"' && field === "") {
      quoted = true;
      fieldStarted = true;
    } else if (c === ",") {
      fields.push(field);
      field = "";
      fieldStarted = true;
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      endRecord();
      line++;
      recordLine = line;
    } else {
      field += c;
      fieldStarted = true;
    }
  }
  if (quoted) throw new Error(`line ${recordLine}: a quoted field is not closed`);
  endRecord();
  return records;
}
