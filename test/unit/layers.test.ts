import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The layers of docs/architecture.md, lowest first. A module may import modules of its own unit
 * (folder, or file at the top of shared/) and of lower layers, never of a higher one; units of one
 * layer may not import each other unless the layer says so (the kernel's small modules do).
 */
const LAYERS: ReadonlyArray<{ name: string; units: readonly string[]; siblings?: boolean }> = [
  { name: 'protocol', units: ['shared/tencent'] },
  {
    name: 'kernel',
    units: [
      'shared/errors.ts',
      'shared/failure.ts',
      'shared/json-object.ts',
      'shared/config.ts',
      'shared/metric-catalog.ts',
      'shared/variable-problem.ts',
      'shared/invocation-deadline.ts',
      'shared/async',
    ],
    siblings: true,
  },
  { name: 'domain', units: ['shared/portrait'] },
  { name: 'webhook domain', units: ['shared/callback'] },
  {
    name: 'AWS plumbing',
    units: [
      'shared/aws-client-settings.ts',
      'shared/dynamodb-client.ts',
      'shared/table-definition.ts',
      'shared/telemetry.ts',
      'shared/stack-traces.ts',
    ],
    siblings: true,
  },
  { name: 'adapters', units: ['shared/cache', 'shared/ratelimit', 'shared/upstream', 'shared/secrets'] },
  { name: 'transports', units: ['shared/http', 'shared/queue'] },
  { name: 'composition root', units: ['shared/gateway.ts'] },
  { name: 'entry points', units: ['functions'] },
];

const ROOT = normalize(join(import.meta.dirname, '../..'));

function sourceFiles(folder: string): string[] {
  return readdirSync(join(ROOT, folder), { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** The unit a repository path belongs to, and its layer's index; undefined outside the layers. */
function placeOf(path: string): { unit: string; layer: number } | undefined {
  for (const [layer, { units }] of LAYERS.entries()) {
    const unit = units.find((u) => path === u || path.startsWith(`${u}/`));
    if (unit !== undefined) return { unit, layer };
  }
  return undefined;
}

const IMPORT = /^(?:import|export)\s[^;]*?from\s+'(\.[^']+)'/gms;

/** Every relative import of the project's runtime code, as [importer, imported] repository paths. */
const imports = ['shared', 'functions']
  .flatMap(sourceFiles)
  .flatMap((file) =>
    [...readFileSync(join(ROOT, file), 'utf8').matchAll(IMPORT)].map(
      ([, spec]) => [file, relative(ROOT, join(ROOT, dirname(file), spec as string))] as const,
    ),
  );

describe('the layers of the code', () => {
  it('places every module of shared/ and functions/ in a layer', () => {
    const unplaced = ['shared', 'functions'].flatMap(sourceFiles).filter((file) => !placeOf(file));

    expect(unplaced).toEqual([]);
  });

  it('finds the imports it checks', () => {
    expect(imports.length).toBeGreaterThan(100);
  });

  it('has no import running up a layer or sideways between units of one layer', () => {
    const violations = imports.flatMap(([from, to]) => {
      const source = placeOf(from);
      const target = placeOf(to);
      if (!source) return [];
      if (!target) return [`${from} → ${to} (outside the layers: shared/ imports only shared/)`];
      if (source.unit === target.unit || target.layer < source.layer) return [];
      if (target.layer === source.layer && LAYERS[source.layer]?.siblings) return [];
      return [`${from} (${LAYERS[source.layer]?.name}) → ${to} (${LAYERS[target.layer]?.name})`];
    });

    expect(violations).toEqual([]);
  });

  it('keeps the protocol folder free of anything else of the project', () => {
    const outside = imports.filter(
      ([from, to]) => from.startsWith('shared/tencent/') && !to.startsWith('shared/tencent/'),
    );

    expect(outside).toEqual([]);
  });
});
