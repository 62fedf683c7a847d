/** The most timestamps (ms) in any half-open interval of 1000 ms: what Tencent's sliding second sees. */
export function busiestSecond(timestamps: readonly number[]): number {
  const sorted = [...timestamps].sort((a, b) => a - b);
  let busiest = 0;
  let end = 0;
  for (let start = 0; start < sorted.length; start += 1) {
    while (end < sorted.length && (sorted[end] as number) < (sorted[start] as number) + 1000) end += 1;
    busiest = Math.max(busiest, end - start);
  }
  return busiest;
}
