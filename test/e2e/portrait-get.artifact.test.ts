import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { locateArtifact } from '../../infra/local/artifact.ts';
import { SOURCE_FUNCTIONS } from '../../infra/local/function-routes.ts';
import { synthGatewayStack } from '../support/gateway-stack.ts';
import { describePortraitGet } from './portrait-get-suite.ts';

const cdkOut = mkdtempSync(join(tmpdir(), 'portrait-gateway-cdk-out-'));

// The stack and bundling `cdk synth` runs, in-process (the CLI adds ~5 s of start-up); the CLI's
// asset metadata is asked for, so the bundles are found the way they are in a CLI-built cdk.out.
beforeAll(() => {
  synthGatewayStack({ bundle: true, outdir: cdkOut, context: { 'aws:cdk:enable-asset-metadata': true } });
}, 60_000);
afterAll(() => rmSync(cdkOut, { recursive: true, force: true }));

describe('the synthesized artifact', () => {
  it('serves the same methods, paths and timeouts as the source the local gateway runs', () => {
    // Act
    const routes = locateArtifact(cdkOut);

    // Assess
    const deployed = routes.map((r) => ({
      method: r.method,
      path: r.path,
      timeoutMs: r.timeoutSeconds * 1000,
    }));
    const local = SOURCE_FUNCTIONS.map((f) => ({ method: f.method, path: f.path, timeoutMs: f.timeoutMs }));
    expect(deployed).toEqual(expect.arrayContaining(local));
    expect(deployed).toHaveLength(local.length);
    for (const route of routes) expect(route.modulePath).toMatch(/asset\.[0-9a-f]+[/\\]index\.mjs$/);
  });
});

describePortraitGet('artifact (cdk synth bundles)', () => ['--artifact', '--cdk-out', cdkOut]);
