import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { APIGatewayProxyHandler, APIGatewayProxyResult } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ArtifactRoute, locateArtifact } from '../../infra/local/artifact.ts';
import { LOOPBACK_AWS_CREDENTIALS, LOOPBACK_AWS_REGION } from '../support/aws-endpoints.ts';
import { GatewayHarness } from '../support/gateway-harness.ts';
import { missingHandlers, synthGatewayStack } from '../support/gateway-stack.ts';
import { apiGatewayEvent, lambdaContext } from '../support/lambda-events.ts';

const missing = missingHandlers();
const skipped = missing.length > 0 ? ` (skipped: ${missing.join(', ')} not written yet)` : '';

/**
 * The deployable artifact, not the source: `cdk synth` runs esbuild, and the HTTP function's
 * bundle is imported from its asset directory, outside the repository (so nothing resolves from
 * node_modules), with the environment the template gives it, and invoked against loopback parts.
 */
describe.skipIf(missing.length > 0)(`the synthesized HTTP function bundle${skipped}`, () => {
  let outdir: string;
  let route: ArtifactRoute;
  let harness: GatewayHarness;
  let handler: APIGatewayProxyHandler;
  const invoke = async (body: unknown) =>
    (await handler(apiGatewayEvent({ body }), lambdaContext(), () => undefined)) as APIGatewayProxyResult;

  beforeAll(async () => {
    outdir = mkdtempSync(join(tmpdir(), 'portrait-gateway-synth-'));
    synthGatewayStack({ bundle: true, outdir });
    const found = locateArtifact(outdir).find(
      (r) => r.method === 'POST' && r.path === '/v4/profile/portrait_get',
    );
    if (found === undefined) throw new Error(`no POST /v4/profile/portrait_get in ${outdir}`);
    route = found;
    harness = await GatewayHarness.start();
    const fromTemplate = Object.entries(route.environment).filter(([, v]) => typeof v === 'string');
    Object.assign(process.env, Object.fromEntries(fromTemplate), harness.environment(), {
      AWS_REGION: LOOPBACK_AWS_REGION,
      AWS_ACCESS_KEY_ID: LOOPBACK_AWS_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOOPBACK_AWS_CREDENTIALS.secretAccessKey,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: harness.secrets.url,
      POWERTOOLS_LOG_LEVEL: 'ERROR',
    });
    // Node's own loader, as in Lambda (require of an ES module without top-level await): a dynamic
    // import() would go through vitest's module runner, which re-transforms the whole bundle.
    const module = createRequire(import.meta.url)(route.modulePath) as Record<string, unknown>;
    handler = module[route.exportName] as APIGatewayProxyHandler;
  });

  afterAll(async () => {
    await harness?.close();
    if (outdir) rmSync(outdir, { recursive: true, force: true });
  });

  it('is an ES module outside the repository, exporting the handler the template names', () => {
    // Assess
    expect(route.modulePath.startsWith(outdir)).toBe(true);
    expect(route.modulePath.endsWith('index.mjs')).toBe(true);
    expect(typeof handler).toBe('function');
  });

  it('answers portrait_get from Tencent, then from the cache', async () => {
    // Prepare
    const request = { To_Account: ['alice', 'bob'], TagList: ['Tag_Profile_IM_Nick'] };

    // Act
    const first = await invoke(request);
    const callsAfterFirst = harness.emulator.calls.length;
    const second = await invoke(request);

    // Assess
    expect(first.statusCode).toBe(200);
    const reply = JSON.parse(first.body);
    expect(reply).toMatchObject({ ActionStatus: 'OK', ErrorCode: 0 });
    expect(reply.UserProfileItem.map((item: { To_Account: string }) => item.To_Account)).toEqual([
      'alice',
      'bob',
    ]);
    expect(callsAfterFirst).toBe(1);
    expect(JSON.parse(second.body)).toEqual(reply);
    expect(harness.emulator.calls.length).toBe(callsAfterFirst);
    expect(harness.secrets.reads).toBe(1);
  });

  it('refuses a request without To_Account the way Tencent does', async () => {
    // Act
    const reply = await invoke({ TagList: ['Tag_Profile_IM_Nick'] });

    // Assess
    expect(reply.statusCode).toBe(400);
    expect(JSON.parse(reply.body)).toMatchObject({ ActionStatus: 'FAIL', ErrorCode: 40002 });
  });
});
