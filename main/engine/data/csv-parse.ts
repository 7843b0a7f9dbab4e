// A small RFC 4180 reader: quoted fields, doubled quotes, CRLF or LF, a chosen delimiter. Enough for
// feature tables; rows keep their 1-based line numbers for error messages.

export interface CsvRow { line: number; fields: string[] }

export function parseCsv(text: string, delimiter = ','): CsvRow[] {
  const rows: CsvRow[] = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1, rowLine = 1;
  const endRow = () => {
    fields.push(field);
    // Skip blank lines (one empty field).
    if (!(fields.length === 1 && fields[0].trim() === '')) rows.push({ line: rowLine, fields });
    fields = []; field = '';
  };
  const start = text.charCodeAt(0) === 0xfeff ? 1 : 0; // byte-order mark
  for (let i = start; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') { field += '"'; i++; } else quoted = false;
      } else { if (ch === '\n') line++; field += ch; }
    } else if (ch === '"' && field.trim() === '') { quoted = true; field = ''; }
    else if (ch === delimiter) { fields.push(field); field = ''; }
    else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      endRow(); line++; rowLine = line;
    } else field += ch;
  }
  if (quoted) throw new Error(`unterminated quoted field starting on line ${rowLine}`);
  if (field !== '' || fields.length) endRow();
  return rows;
}
