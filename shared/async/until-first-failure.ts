/**
 * Runs `task` over `items`, at most `concurrency` at once, and stops starting tasks after the first
 * failure (those already running finish). Resolves to that failure, or undefined when all succeeded;
 * never rejects.
 */
export async function untilFirstFailure<T>(
  items: readonly T[],
  concurrency: number,
  task: (item: T) => Promise<void>,
): Promise<{ error: unknown } | undefined> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (failure === undefined && next < items.length) {
      const item = items[next] as T;
      next += 1;
      try {
        await task(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return failure;
}
