/** `pad(42, 8)` → `00000042`: the zero-padded numbers of entity and transaction ids (non-negative integers). */
export function pad(value: number, width: number): string {
  const digits = String(value);
  // A lookup of ready-made zeros: cheaper than `padStart` on the per-record path (ids are padded 3× a record).
  return digits.length >= width ? digits : ZEROS[width - digits.length]! + digits;
}

const ZEROS = Array.from({ length: 17 }, (_, count) => '0'.repeat(count));
