export interface Row {
  name: string;
  address: string;
  note: string;
}

/** What runs where, as one aligned table (other parts — a mail catcher, say — add a row). */
export function printTable(rows: readonly Row[]): void {
  const width = (pick: (row: Row) => string, title: string): number =>
    Math.max(title.length, ...rows.map((row) => pick(row).length));
  const nameWidth = width((row) => row.name, 'component');
  const addressWidth = width((row) => row.address, 'address');
  const line = (name: string, address: string, note: string): string =>
    `  ${name.padEnd(nameWidth)}  ${address.padEnd(addressWidth)}  ${note}`.trimEnd();
  console.log(line('component', 'address', 'notes'));
  console.log(line('-'.repeat(nameWidth), '-'.repeat(addressWidth), '-----'));
  for (const row of rows) console.log(line(row.name, row.address, row.note));
}
