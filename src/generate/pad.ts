/** `pad(42, 8)` → `00000042`: the zero-padded numbers of entity and transaction ids. */
export function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}
