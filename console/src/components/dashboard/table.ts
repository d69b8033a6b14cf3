import type { CsvColumn } from "../../csv";

/** A column of a dashboard list: exported to CSV with `value`, shown with `display` (default: `value`). */
export interface TableColumn<Row> extends CsvColumn<Row> {
  display?: (row: Row) => string;
  numeric?: boolean;
}
