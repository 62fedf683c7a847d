import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';

/**
 * CloudFormation's resource specification, as the CDK toolchain ships it: the `aws-cdk` CLI package's
 * `db.json.gz`, the database of `@aws-cdk/service-spec-types` (built from CloudFormation's registry
 * schemas) that `cdk diff` reads. Offline, versioned with the CLI in package-lock.json.
 */

/** A property's type, as the database spells it. */
export type SpecType =
  | { type: 'string' | 'number' | 'integer' | 'boolean' | 'json' | 'date-time' | 'null' | 'tag' }
  | { type: 'ref'; reference: { $ref: string } }
  | { type: 'array' | 'map'; element: SpecType }
  | { type: 'union'; types: SpecType[] };

export interface SpecProperty {
  type: SpecType;
  /** Types the property accepted before; CloudFormation still accepts them. */
  previousTypes?: SpecType[];
  required?: boolean;
}

export interface SpecResource {
  cloudFormationType: string;
  properties: Record<string, SpecProperty>;
  /** What `Fn::GetAtt` may read, by name (nested ones dotted, e.g. `Endpoint.Address`). */
  attributes: Record<string, { type: SpecType }>;
}

export interface SpecTypeDefinition {
  name: string;
  properties: Record<string, SpecProperty>;
}

interface Entities<T> {
  entities: (T & { $id: string })[];
}

/** The specification's resource types and property types, looked up by name and by reference. */
export class CloudFormationSpec {
  readonly #resources: Map<string, SpecResource>;
  readonly #types: Map<string, SpecTypeDefinition>;

  constructor(resources: SpecResource[], types: (SpecTypeDefinition & { $id: string })[]) {
    this.#resources = new Map(resources.map((r) => [r.cloudFormationType, r]));
    this.#types = new Map(types.map((t) => [t.$id, t]));
  }

  /** Reads the database the installed `aws-cdk` package carries. */
  static load(): CloudFormationSpec {
    // The package exports only a few paths: find it by its package.json.
    const packageJson = createRequire(import.meta.url).resolve('aws-cdk/package.json');
    const path = join(dirname(packageJson), 'db.json.gz');
    const db = JSON.parse(gunzipSync(readFileSync(path)).toString('utf8')) as {
      schema: { resource: Entities<SpecResource>; typeDefinition: Entities<SpecTypeDefinition> };
    };
    return new CloudFormationSpec(db.schema.resource.entities, db.schema.typeDefinition.entities);
  }

  /** The resource type `AWS::Service::Thing`, or undefined when the specification has no such type. */
  resource(type: string): SpecResource | undefined {
    return this.#resources.get(type);
  }

  /** The property type a `ref` names. */
  typeDefinition(reference: { $ref: string }): SpecTypeDefinition {
    const found = this.#types.get(reference.$ref);
    if (found === undefined) throw new Error(`the specification has no type ${reference.$ref}`);
    return found;
  }

  /** The number of resource types known, to show the database was read. */
  get resourceTypeCount(): number {
    return this.#resources.size;
  }
}
