import { vi } from 'vitest';

/**
 * Collects what the process writes to stdout and stderr (Powertools' JSON log lines, errors
 * included, and EMF metrics) instead of printing it, from `start()` until `stop()`.
 */
export class CapturedOutput {
  readonly #chunks: string[] = [];
  #spies: { mockRestore(): void }[] = [];

  start(): this {
    if (this.#spies.length > 0) return this;
    const collect = (chunk: string | Uint8Array) => {
      this.#chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      return true;
    };
    this.#spies = [
      vi.spyOn(process.stdout, 'write').mockImplementation(collect),
      vi.spyOn(process.stderr, 'write').mockImplementation(collect),
    ];
    return this;
  }

  stop(): void {
    for (const spy of this.#spies) spy.mockRestore();
    this.#spies = [];
  }

  clear(): void {
    this.#chunks.length = 0;
  }

  get text(): string {
    return this.#chunks.join('');
  }

  /** Every line that is a JSON object (log entries and EMF documents). */
  get records(): Record<string, unknown>[] {
    return this.text
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  }

  /** The log entries (not metrics) with this message. */
  logs(message?: string): Record<string, unknown>[] {
    return this.records.filter(
      (record) => !('_aws' in record) && (message === undefined || record.message === message),
    );
  }

  /** Values of one metric across the EMF documents written, in order. */
  metric(name: string): number[] {
    return this.records.flatMap((record) => {
      const value = '_aws' in record ? record[name] : undefined;
      if (value === undefined) return [];
      return Array.isArray(value) ? (value as number[]) : [value as number];
    });
  }
}
