import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The built artifact cannot be served: no cloud assembly, no API in it, or a function without its bundle. */
export class ArtifactError extends Error {
  override readonly name = 'ArtifactError';
}

/** A value of the function's environment: a literal, or a CloudFormation expression resolved only at deploy. */
export type TemplateValue = string | { unresolved: string };

/** One method of the synthesized REST API and the bundled function behind it. */
export interface ArtifactRoute {
  method: string;
  /** The resource path, e.g. `/v4/profile/portrait_get`. */
  path: string;
  /** The function's logical id in the template, e.g. `HttpFunction1A2B3C4D`. */
  functionId: string;
  /** Absolute path of the bundled module (`cdk.out/asset.<hash>/index.mjs`). */
  modulePath: string;
  /** The export the function's `Handler` names (`index.handler` → `handler`). */
  exportName: string;
  timeoutSeconds: number;
  memorySize: number;
  environment: Record<string, TemplateValue>;
}

interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
  Metadata?: Record<string, unknown>;
}

type Resources = Record<string, CfnResource>;

/** Lambda's defaults when the template leaves them out. */
const LAMBDA_DEFAULT_TIMEOUT_SECONDS = 3;
const LAMBDA_DEFAULT_MEMORY_MB = 128;

const readJson = (path: string): unknown => JSON.parse(readFileSync(path, 'utf8'));

/** The logical id a `Ref` or `Fn::GetAtt` points at, if the value is one. */
function referencedId(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { Ref, 'Fn::GetAtt': getAtt } = value as { Ref?: unknown; 'Fn::GetAtt'?: unknown };
  if (typeof Ref === 'string') return Ref;
  if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') return getAtt[0];
  return undefined;
}

/** The function a Lambda proxy integration invokes: the one `Fn::GetAtt [Fn, Arn]` inside its URI. */
function integratedFunctionId(uri: unknown, resources: Resources): string | undefined {
  const id = referencedId(uri);
  if (id !== undefined && resources[id]?.Type === 'AWS::Lambda::Function') return id;
  if (typeof uri === 'object' && uri !== null) {
    for (const part of Object.values(uri).flat(3)) {
      const found = integratedFunctionId(part, resources);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/** `/a/b` for an `AWS::ApiGateway::Resource`, following `ParentId` up to the API's root. */
function resourcePath(id: string | undefined, resources: Resources): string {
  const resource = id === undefined ? undefined : resources[id];
  if (resource?.Type !== 'AWS::ApiGateway::Resource') return '';
  const { PathPart, ParentId } = resource.Properties as { PathPart: string; ParentId: unknown };
  return `${resourcePath(referencedId(ParentId), resources)}/${PathPart}`;
}

function environmentOf(fn: CfnResource): Record<string, TemplateValue> {
  const variables =
    (fn.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
  return Object.fromEntries(
    Object.entries(variables).map(([name, value]): [string, TemplateValue] => [
      name,
      typeof value === 'string' ? value : { unresolved: JSON.stringify(value) },
    ]),
  );
}

/** `asset.<hash>`: from the asset metadata CDK writes, else from the S3 key `<hash>.zip`. */
function assetDirectory(cdkOut: string, functionId: string, fn: CfnResource): string {
  const metadataPath = fn.Metadata?.['aws:asset:path'];
  const s3Key = (fn.Properties?.Code as { S3Key?: unknown } | undefined)?.S3Key;
  const name =
    typeof metadataPath === 'string'
      ? metadataPath
      : typeof s3Key === 'string'
        ? `asset.${s3Key.replace(/\.zip$/, '')}`
        : undefined;
  if (name === undefined) throw new ArtifactError(`${functionId} has no bundled code asset in the template`);
  return join(cdkOut, name);
}

function routeFor(cdkOut: string, method: CfnResource, resources: Resources): ArtifactRoute | undefined {
  const props = method.Properties as {
    HttpMethod?: string;
    ResourceId?: unknown;
    Integration?: { Type?: string; Uri?: unknown };
  };
  if (props.Integration?.Type !== 'AWS_PROXY' || props.HttpMethod === undefined) return undefined;
  const functionId = integratedFunctionId(props.Integration.Uri, resources);
  const fn = functionId === undefined ? undefined : resources[functionId];
  if (functionId === undefined || fn === undefined) return undefined;

  const handler = String(fn.Properties?.Handler ?? 'index.handler');
  const dot = handler.lastIndexOf('.');
  const [file, exportName] = [handler.slice(0, dot), handler.slice(dot + 1)];
  const directory = assetDirectory(cdkOut, functionId, fn);
  const modulePath = ['.mjs', '.js', '.cjs'].map((ext) => join(directory, `${file}${ext}`)).find(existsSync);
  if (modulePath === undefined) {
    throw new ArtifactError(`${functionId}: no ${file}.mjs in ${directory}; run \`npx cdk synth\` again`);
  }
  return {
    method: props.HttpMethod,
    path: resourcePath(referencedId(props.ResourceId), resources) || '/',
    functionId,
    modulePath,
    exportName,
    timeoutSeconds: Number(fn.Properties?.Timeout ?? LAMBDA_DEFAULT_TIMEOUT_SECONDS),
    memorySize: Number(fn.Properties?.MemorySize ?? LAMBDA_DEFAULT_MEMORY_MB),
    environment: environmentOf(fn),
  };
}

/** The CloudFormation templates of the stacks in a cloud assembly, by stack name. */
function stackTemplates(cdkOut: string): Array<{ stack: string; template: { Resources?: Resources } }> {
  const manifestPath = join(cdkOut, 'manifest.json');
  if (!existsSync(manifestPath)) {
    throw new ArtifactError(`no cloud assembly at ${cdkOut}: run \`npx cdk synth\` first`);
  }
  const manifest = readJson(manifestPath) as {
    artifacts?: Record<string, { type?: string; properties?: { templateFile?: string } }>;
  };
  return Object.entries(manifest.artifacts ?? {}).flatMap(([stack, artifact]) =>
    artifact.type === 'aws:cloudformation:stack' && artifact.properties?.templateFile
      ? [
          {
            stack,
            template: readJson(join(cdkOut, artifact.properties.templateFile)) as { Resources?: Resources },
          },
        ]
      : [],
  );
}

/**
 * The REST API methods that `cdk synth` wrote to `cdkOut` (default `cdk.out`), each with the bundled
 * function behind it, its timeout, memory and environment as the template gives them. Reads the first
 * stack that has a REST API, or `stack` when given. Throws {@link ArtifactError} when there is none.
 */
export function locateArtifact(cdkOut = 'cdk.out', stack?: string): ArtifactRoute[] {
  const root = resolve(cdkOut);
  const stacks = stackTemplates(root).filter((s) => stack === undefined || s.stack === stack);
  for (const { template } of stacks) {
    const resources = template.Resources ?? {};
    const routes = Object.values(resources)
      .filter((r) => r.Type === 'AWS::ApiGateway::Method')
      .flatMap((method) => routeFor(root, method, resources) ?? []);
    if (routes.length > 0) return routes;
  }
  throw new ArtifactError(
    stack === undefined
      ? `no stack in ${root} has a REST API with Lambda proxy methods`
      : `stack ${stack} is not in ${root} or has no REST API with Lambda proxy methods`,
  );
}
