/**
 * The most timestamps (ms) in any interval of 1000 ms: half-open by default, what Tencent's sliding
 * second sees; `closed` counts both ends, the stricter reading.
 */
export function busiestSecond(timestamps: readonly number[], closed = false): number {
  const sorted = [...timestamps].sort((a, b) => a - b);
  const inside = closed
    ? (at: number, start: number) => at <= start + 1000
    : (at: number, start: number) => at < start + 1000;
  let busiest = 0;
  let end = 0;
  for (let start = 0; start < sorted.length; start += 1) {
    while (end < sorted.length && inside(sorted[end] as number, sorted[start] as number)) end += 1;
    busiest = Math.max(busiest, end - start);
  }
  return busiest;
}
