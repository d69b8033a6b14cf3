import Papa from "papaparse";

/** One column of an export: its heading and how to read it from a row. */
export interface CsvColumn<Row> {
  header: string;
  value: (row: Row) => string | number | null | undefined;
}

/**
 * The rows as CSV text that Excel opens with Chinese intact: UTF-8 with a byte-order mark, CRLF
 * line ends, and cells that would start a formula (=, +, -, @) escaped.
 */
export function toCsv<Row>(rows: readonly Row[], columns: readonly CsvColumn<Row>[]): string {
  const body = Papa.unparse(
    {
      fields: columns.map((column) => column.header),
      data: rows.map((row) => columns.map((column) => column.value(row) ?? "")),
    },
    { newline: "\r\n", escapeFormulae: /^[=+\-@\t\r]/ },
  );
  return `\uFEFF${body}\r\n`;
}

/** Downloads the rows as a CSV file named `name` (".csv" is added). */
export function downloadCsv<Row>(name: string, rows: readonly Row[], columns: readonly CsvColumn<Row>[]): void {
  const blob = new Blob([toCsv(rows, columns)], { type: "text/csv;charset=utf-8" });
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = `${name}.csv`;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
