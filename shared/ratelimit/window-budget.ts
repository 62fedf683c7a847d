/**
 * The arithmetic of the rate ceiling (DESIGN.md §5), in one place.
 *
 * Model. Instances count grants in fixed windows `[k·w, k·w + w)` of their own clock. Their clocks
 * differ by at most S ms; a slot is handed out only until G ms after its window ended on the
 * granting instance's clock (the limiter drops grants that come back later); the call then
 * reaches Tencent after a delay that varies by at most J ms (the caller's send, the network).
 * So, on Tencent's clock, the arrivals of window k all fall within one interval of length
 * `w + m`, with the margin `m = S + G + J`.
 *
 * Bound. A sliding second `[x, x + 1000)` (the emulator counts `(t − 1000, t]`, the same length)
 * meets window k's interval only when `k·w` lies in an open interval of length `1000 + w + m`, which
 * holds at most `N = ceil((1000 + m) / w) + 1` multiples of w. With a budget of
 * `b = floor(L / N)` per window, no sliding second sees more than `N·b ≤ L` calls, while a
 * saturated ceiling is used at `b · 1000 / w` calls per second.
 */

/**
 * What the default margin is made of, in ms: clock skew between instances (Lambda clocks follow
 * the Amazon Time Sync Service, typically within a millisecond or two), how late a grant may come
 * back from DynamoDB and still be used (its p99 is a few tens of ms at worst), and how much the
 * delay from grant to arrival at Tencent varies (warm sockets, a region near the data center).
 */
export const DEFAULT_MARGIN_PARTS = { skewMs: 10, lateGrantMs: 20, arrivalJitterMs: 20 } as const;

/** The default margin m: the sum of {@link DEFAULT_MARGIN_PARTS}, 50 ms. */
export const DEFAULT_MARGIN_MS =
  DEFAULT_MARGIN_PARTS.skewMs + DEFAULT_MARGIN_PARTS.lateGrantMs + DEFAULT_MARGIN_PARTS.arrivalJitterMs;

/**
 * The shortest window {@link planWindow} picks. Shorter windows round better but cost more
 * DynamoDB items and writes per second, and a grant that returns after its window ends is lost:
 * at 50 ms a slow conditional write (DynamoDB's p99 is a few tens of ms) rarely loses one.
 */
export const MIN_WINDOW_MS = 50;

const SECOND_MS = 1000;

export interface WindowBudget {
  /** L: calls per sliding second the upstream allows. */
  ceilingPerSecond: number;
  /** w: window length in ms. */
  windowMs: number;
  /** m: clock skew plus arrival jitter tolerated, in ms. */
  marginMs: number;
  /** N: the most windows whose calls can land in one sliding second. */
  windowsPerSlidingSecond: number;
  /** b: slots granted per window, across all instances. */
  budgetPerWindow: number;
  /** N·b: the most calls any sliding second can see; never above L. */
  worstSlidingSecond: number;
  /** b·1000/w: calls per second when demand exceeds the ceiling. */
  sustainedPerSecond: number;
}

/** The budget for ceiling `L` per second, windows of `windowMs` and a margin of `marginMs` (see the file header). */
export function windowBudget(ceilingPerSecond: number, windowMs: number, marginMs: number): WindowBudget {
  if (!Number.isInteger(ceilingPerSecond) || ceilingPerSecond < 1)
    throw new RangeError(
      `the ceiling must be a positive whole number of calls per second, got ${ceilingPerSecond}`,
    );
  if (!Number.isInteger(windowMs) || windowMs < 1)
    throw new RangeError(`the window must be a positive whole number of ms, got ${windowMs}`);
  if (!Number.isFinite(marginMs) || marginMs < 0)
    throw new RangeError(`the margin must be a non-negative number of ms, got ${marginMs}`);
  const windowsPerSlidingSecond = Math.ceil((SECOND_MS + marginMs) / windowMs) + 1;
  const budgetPerWindow = Math.floor(ceilingPerSecond / windowsPerSlidingSecond);
  return {
    ceilingPerSecond,
    windowMs,
    marginMs,
    windowsPerSlidingSecond,
    budgetPerWindow,
    worstSlidingSecond: windowsPerSlidingSecond * budgetPerWindow,
    sustainedPerSecond: (budgetPerWindow * SECOND_MS) / windowMs,
  };
}

/**
 * The window (from {@link MIN_WINDOW_MS} ms up) that sustains the most calls per second under
 * ceiling `L` with margin `marginMs` (default {@link DEFAULT_MARGIN_MS}); on a tie the longer
 * window, which costs fewer writes. L = 200 gives w = 50 ms, b = 9: 180/s. Throws a RangeError
 * when no window has a budget of at least one slot (L = 1: any two windows can meet in a second).
 */
export function planWindow(ceilingPerSecond: number, marginMs: number = DEFAULT_MARGIN_MS): WindowBudget {
  let best: WindowBudget | undefined;
  // Past 1000 + m ms a sliding second meets two windows whatever w is, so longer ones only lose.
  for (let windowMs = MIN_WINDOW_MS; windowMs <= Math.ceil(SECOND_MS + marginMs); windowMs += 1) {
    const candidate = windowBudget(ceilingPerSecond, windowMs, marginMs);
    if (best === undefined || candidate.sustainedPerSecond >= best.sustainedPerSecond) best = candidate;
  }
  if (best === undefined || best.budgetPerWindow < 1)
    throw new RangeError(
      `a ceiling of ${ceilingPerSecond}/s cannot be kept with windowed counting: it needs at least 2 calls per second`,
    );
  return best;
}
