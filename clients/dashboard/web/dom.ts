/** Building DOM nodes without innerHTML: guest data (console bytes, symbol names) is never parsed as markup. */

type Attrs = Record<string, string | undefined>;
type Child = Node | string;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) el.setAttribute(k, v);
  el.append(...children);
  return el;
}

/** A table cell with a field name, for styling and for tests. */
export const td = (field: string, text: string, cls = ''): HTMLTableCellElement => h('td', { 'data-field': field, class: cls || undefined }, text);

export function badge(text: string, testid?: string): HTMLSpanElement {
  return h('span', { class: `badge ${text}`, 'data-testid': testid }, text);
}

/** Replace a tbody's rows, or say there are none. */
export function fillRows(tbody: HTMLTableSectionElement, rows: HTMLTableRowElement[], columns: number, empty: string): void {
  tbody.replaceChildren(...(rows.length ? rows : [h('tr', {}, h('td', { colspan: String(columns), class: 'muted' }, empty))]));
}

export const ago = (ms: number, now: number): string => {
  const s = Math.max(0, Math.round((now - ms) / 1000));
  return s < 1 ? 'now' : `${s} s ago`;
};
