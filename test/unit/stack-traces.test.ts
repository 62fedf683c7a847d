import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const STACK_TRACES = join(import.meta.dirname, '../../shared/stack-traces.ts');

/** A function entry as functions/*.ts are: maps its stacks, then throws from line 6 of its source. */
const ENTRY = `import { mapStackTracesLazily } from ${JSON.stringify(STACK_TRACES)};
mapStackTracesLazily(import.meta.url);

export function handler(): never {
  const reason = 'the table is gone';
  throw new Error(reason);
}
`;

/** The stack of the bundle's error, printed by a fresh Node process (its own Error.prepareStackTrace). */
const stackOf = (bundle: string): string =>
  execFileSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `const { handler } = await import(${JSON.stringify(pathToFileURL(bundle).href)});
       try { handler(); } catch (error) { process.stdout.write(error.stack); }`,
    ],
    { encoding: 'utf8' },
  );

describe('mapStackTracesLazily in a minified bundle with its source map', () => {
  let dir: string;
  let bundle: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'stack-traces-'));
    writeFileSync(join(dir, 'entry.ts'), ENTRY);
    bundle = join(dir, 'out', 'index.mjs');
    await build({
      entryPoints: [join(dir, 'entry.ts')],
      bundle: true,
      platform: 'node',
      format: 'esm',
      minify: true,
      sourcemap: true,
      sourcesContent: false,
      outfile: bundle,
      logLevel: 'silent',
    });
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("names the source file and line of the throw, without Node's --enable-source-maps", () => {
    // Act
    const stack = stackOf(bundle);

    // Assess
    const [headline, top] = stack.split('\n');
    expect(headline).toBe('Error: the table is gone');
    expect(top).toBe(`    at ${pathToFileURL(join(dir, 'entry.ts')).href}:6:9`);
  });

  it('leaves the stack as V8 writes it when the bundle has no map', () => {
    // Prepare
    rmSync(`${bundle}.map`);

    // Act
    const stack = stackOf(bundle);

    // Assess
    expect(stack.split('\n')[1]).toMatch(/index\.mjs:\d+:\d+\)?$/);
  });
});
