import { existsSync, readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import {
  DEFAULT_ENTRIES,
  type HandlerEntries,
  PortraitGatewayStack,
  PROJECT_ROOT,
} from '../../infra/portrait-gateway-stack.ts';

/** The context `cdk synth` runs with: cdk.json's feature flags and documented defaults. */
export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(`${PROJECT_ROOT}cdk.json`, 'utf8')) as {
    context: Record<string, unknown>;
  };
  return cdkJson.context;
}

/** The handler modules that do not exist yet: NodejsFunction refuses a missing entry even unbundled. */
export function missingHandlers(entries: HandlerEntries = DEFAULT_ENTRIES): string[] {
  return Object.values(entries).filter((entry) => !existsSync(entry));
}

export interface SynthOptions {
  /** Context on top of cdk.json's. */
  context?: Record<string, unknown>;
  /** Run esbuild into `outdir`; default false (`aws:cdk:bundling-stacks: []`, no assets built). */
  bundle?: boolean;
  outdir?: string;
  bundleAwsSdk?: boolean;
  /** Default `PortraitGateway`, the name `cdk deploy` gives it. */
  stackName?: string;
  /** The region the stack deploys to; default none (an environment-agnostic template). */
  region?: string;
}

/** The stack as `cdk synth` builds it, synthesized in-process, and its template. */
export function synthGatewayStack(options: SynthOptions = {}): {
  stack: PortraitGatewayStack;
  template: Template;
} {
  const app = new App({
    context: {
      ...cdkJsonContext(),
      ...options.context,
      ...(options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }),
    },
    ...(options.outdir && { outdir: options.outdir }),
  });
  const stack = new PortraitGatewayStack(app, options.stackName ?? 'PortraitGateway', {
    ...(options.bundleAwsSdk !== undefined && { bundleAwsSdk: options.bundleAwsSdk }),
    ...(options.region !== undefined && { env: { region: options.region } }),
  });
  return { stack, template: Template.fromStack(stack) };
}
