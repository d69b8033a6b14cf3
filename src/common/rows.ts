/**
 * Splits a row that holds a record and, beside it, records of other tables whose column names
 * start with a prefix each (`"alliance.id"`, `"alliance.name"`…): the record's own columns, and
 * each prefixed record (null when its id is null, a LEFT JOIN that found nothing).
 */
export function splitPrefixed<Row>(row: Record<string, unknown>, prefixes: readonly string[]): { own: Row; related: Map<string, Record<string, unknown> | null> } {
  const own: Record<string, unknown> = {};
  const related = new Map<string, Record<string, unknown>>();
  for (const key in row) {
    const dot = key.indexOf(".");
    const prefix = dot > 0 ? key.slice(0, dot + 1) : "";
    if (prefix && prefixes.includes(prefix)) {
      let record = related.get(prefix);
      if (!record) {
        record = {};
        related.set(prefix, record);
      }
      record[key.slice(dot + 1)] = row[key];
    } else {
      own[key] = row[key];
    }
  }
  const found = new Map<string, Record<string, unknown> | null>();
  for (const prefix of prefixes) {
    const record = related.get(prefix);
    found.set(prefix, record && record.id != null ? record : null);
  }
  return { own: own as Row, related: found };
}
