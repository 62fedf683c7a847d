import type { CloudFormationSpec, SpecProperty, SpecType } from './cloudformation-spec.ts';

/**
 * Checks a synthesized CloudFormation template against the resource specification, offline: each
 * resource's type exists; its properties are known, the required ones present and each of the right
 * type, nested property types included; every `Ref`, `Fn::GetAtt` and `Fn::Sub` reference names a
 * resource, parameter or pseudo parameter, and `Fn::GetAtt` an attribute its resource type has; an
 * intrinsic's result fits where it stands (a list where a list goes). Scalars are as lenient as
 * CloudFormation is ("30" for a number, 30 for a string). Returns one line per problem, empty when
 * there is none.
 */
export function validateTemplate(template: Record<string, unknown>, spec: CloudFormationSpec): string[] {
  return new TemplateValidator(template, spec).problems();
}

type Template = {
  Resources?: Record<string, ResourceEntry>;
  Parameters?: Record<string, { Type: string }>;
  Conditions?: Record<string, unknown>;
  Outputs?: Record<string, unknown>;
};

type ResourceEntry = { Type: string; Properties?: Record<string, unknown> } & Record<string, unknown>;

/** What an intrinsic evaluates to: a specification type, or "anything". */
type Result = SpecType | 'any';

const RESOURCE_KEYS = new Set([
  'Type',
  'Properties',
  'DependsOn',
  'Condition',
  'DeletionPolicy',
  'UpdateReplacePolicy',
  'Metadata',
  'UpdatePolicy',
  'CreationPolicy',
]);

const POLICIES = new Set(['Delete', 'Retain', 'Snapshot', 'RetainExceptOnCreate']);

const PSEUDO_PARAMETERS: Record<string, Result> = {
  'AWS::AccountId': { type: 'string' },
  'AWS::NotificationARNs': { type: 'array', element: { type: 'string' } },
  'AWS::NoValue': 'any',
  'AWS::Partition': { type: 'string' },
  'AWS::Region': { type: 'string' },
  'AWS::StackId': { type: 'string' },
  'AWS::StackName': { type: 'string' },
  'AWS::URLSuffix': { type: 'string' },
};

/** CDK's own resource: CloudFormation takes it though the specification does not list it. */
const CDK_METADATA = 'AWS::CDK::Metadata';

const STRING: SpecType = { type: 'string' };
const STRINGS: SpecType = { type: 'array', element: STRING };
const SCALARS = new Set(['string', 'number', 'integer', 'boolean', 'date-time']);

class TemplateValidator {
  readonly #template: Template;
  readonly #spec: CloudFormationSpec;
  readonly #problems: string[] = [];

  constructor(template: Record<string, unknown>, spec: CloudFormationSpec) {
    this.#template = template as Template;
    this.#spec = spec;
  }

  problems(): string[] {
    for (const [id, resource] of Object.entries(this.#template.Resources ?? {})) this.#resource(id, resource);
    for (const [id, output] of Object.entries(this.#template.Outputs ?? {})) {
      this.#walk(output, `Outputs.${id}`);
    }
    return this.#problems;
  }

  #report(path: string, message: string): void {
    this.#problems.push(`${path}: ${message}`);
  }

  #resource(id: string, resource: ResourceEntry): void {
    const path = `Resources.${id}`;
    for (const key of Object.keys(resource)) {
      if (!RESOURCE_KEYS.has(key)) this.#report(path, `unknown resource attribute ${key}`);
    }
    for (const dependency of [resource.DependsOn ?? []].flat() as string[]) {
      if (!this.#template.Resources?.[dependency])
        this.#report(`${path}.DependsOn`, `no resource ${dependency}`);
    }
    for (const key of ['DeletionPolicy', 'UpdateReplacePolicy']) {
      const policy = resource[key];
      if (policy !== undefined && !POLICIES.has(policy as string))
        this.#report(`${path}.${key}`, `not a policy: ${policy}`);
    }
    if (resource.Condition !== undefined) this.#condition(resource.Condition as string, `${path}.Condition`);
    if (resource.Type === CDK_METADATA || isCustom(resource.Type)) {
      this.#walk(resource.Properties, `${path}.Properties`);
      return;
    }
    const type = this.#spec.resource(resource.Type);
    if (type === undefined) {
      this.#report(`${path}.Type`, `no resource type ${resource.Type} in the specification`);
      return;
    }
    this.#object(resource.Properties ?? {}, type.properties, `${path}.Properties`);
  }

  /** An object of named properties: each known and well typed, every required one present. */
  #object(value: unknown, properties: Record<string, SpecProperty>, path: string): void {
    if (isIntrinsic(value)) {
      this.#fits(this.#intrinsic(value, path), { type: 'json' }, path);
      return;
    }
    if (!isPlainObject(value)) {
      this.#report(path, `expected an object, got ${shown(value)}`);
      return;
    }
    for (const [name, property] of Object.entries(properties)) {
      if (property.required && !(name in value)) this.#report(path, `required property ${name} is missing`);
    }
    for (const [name, item] of Object.entries(value)) {
      const property = properties[name];
      if (property === undefined) {
        this.#report(path, `unknown property ${name} (known: ${Object.keys(properties).sort().join(', ')})`);
      } else {
        this.#typed(item, property, `${path}.${name}`);
      }
    }
  }

  /** A value against a property's current type, or any type it had before. */
  #typed(value: unknown, property: SpecProperty, path: string): void {
    const accepted = [property.type, ...(property.previousTypes ?? [])];
    const attempts = accepted.map((type) => this.#tryValue(value, type, path));
    if (attempts.some((problems) => problems.length === 0)) return;
    this.#problems.push(...(attempts[0] ?? []));
  }

  /** The problems `value` would have as `type`, without reporting them. */
  #tryValue(value: unknown, type: SpecType, path: string): string[] {
    const before = this.#problems.length;
    this.#value(value, type, path);
    return this.#problems.splice(before);
  }

  #value(value: unknown, type: SpecType, path: string): void {
    if (isIntrinsic(value)) {
      const [name, args] = Object.entries(value)[0] as [string, unknown];
      if (name === 'Fn::If') {
        this.#ifBranches(args, path).forEach((branch, i) => {
          this.#value(branch, type, `${path}.Fn::If[${i + 1}]`);
        });
        return;
      }
      this.#fits(this.#intrinsic(value, path), type, path);
      return;
    }
    switch (type.type) {
      case 'union': {
        const attempts = type.types.map((t) => this.#tryValue(value, t, path));
        if (attempts.some((problems) => problems.length === 0)) return;
        // The problems of the branch the value is shaped like say more than "none fits".
        const shaped = type.types.findIndex((t) => shapedLike(value, t));
        if (shaped >= 0) this.#problems.push(...(attempts[shaped] ?? []));
        else this.#report(path, `expected ${describe(type)}, got ${shown(value)}`);
        return;
      }
      case 'json':
        this.#walk(value, path);
        return;
      case 'ref':
        this.#object(value, this.#spec.typeDefinition(type.reference).properties, path);
        return;
      case 'tag':
        this.#object(
          value,
          { Key: { type: STRING, required: true }, Value: { type: STRING, required: true } },
          path,
        );
        return;
      case 'array':
        if (!Array.isArray(value)) {
          this.#report(path, `expected a list, got ${shown(value)}`);
          return;
        }
        value.forEach((item, i) => {
          this.#value(item, type.element, `${path}[${i}]`);
        });
        return;
      case 'map':
        if (!isPlainObject(value)) {
          this.#report(path, `expected a map, got ${shown(value)}`);
          return;
        }
        for (const [key, item] of Object.entries(value)) this.#value(item, type.element, `${path}.${key}`);
        return;
      default:
        if (!scalarFits(value, type.type)) this.#report(path, `expected ${type.type}, got ${shown(value)}`);
    }
  }

  /** Whether what an intrinsic yields can stand where `expected` is wanted. */
  #fits(result: Result, expected: SpecType, path: string): void {
    if (result === 'any' || expected.type === 'json') return;
    if (expected.type === 'union') {
      if (!expected.types.some((t) => compatible(result, t))) {
        this.#report(path, `expected ${describe(expected)}, the intrinsic gives ${describe(result)}`);
      }
      return;
    }
    if (!compatible(result, expected)) {
      this.#report(path, `expected ${describe(expected)}, the intrinsic gives ${describe(result)}`);
    }
  }

  /** Checks an intrinsic's arguments and targets; returns what it evaluates to. */
  #intrinsic(value: Record<string, unknown>, path: string): Result {
    const [name, args] = Object.entries(value)[0] as [string, unknown];
    const at = `${path}.${name}`;
    switch (name) {
      case 'Ref':
        return this.#ref(args as string, at);
      case 'Fn::GetAtt':
        return this.#getAtt(args, at);
      case 'Fn::Sub':
        this.#sub(args, at);
        return STRING;
      case 'Fn::Join': {
        const [, list] = args as [string, unknown];
        this.#walk(list, at);
        return STRING;
      }
      case 'Fn::If':
        this.#ifBranches(args, path).forEach((branch, i) => {
          this.#walk(branch, `${at}[${i + 1}]`);
        });
        return 'any';
      case 'Fn::Split':
      case 'Fn::GetAZs':
      case 'Fn::Cidr':
        this.#walk(args, at);
        return STRINGS;
      case 'Fn::Base64':
      case 'Fn::ImportValue':
      case 'Fn::ToJsonString':
        this.#walk(args, at);
        return STRING;
      case 'Fn::Length':
        this.#walk(args, at);
        return { type: 'integer' };
      case 'Fn::Select':
      case 'Fn::FindInMap':
        this.#walk(args, at);
        return 'any';
      default:
        this.#report(path, `${name} is not an intrinsic function CloudFormation evaluates here`);
        return 'any';
    }
  }

  #ref(target: string, path: string): Result {
    if (target in PSEUDO_PARAMETERS) return PSEUDO_PARAMETERS[target] as Result;
    const parameter = this.#template.Parameters?.[target];
    if (parameter !== undefined) return /^(List<|CommaDelimitedList)/.test(parameter.Type) ? STRINGS : STRING;
    if (this.#template.Resources?.[target] !== undefined) return STRING;
    this.#report(path, `no resource, parameter or pseudo parameter ${target}`);
    return 'any';
  }

  #getAtt(args: unknown, path: string): Result {
    const [id, attribute] = typeof args === 'string' ? splitOnce(args, '.') : (args as [string, unknown]);
    const resource = this.#template.Resources?.[id];
    if (resource === undefined) {
      this.#report(path, `no resource ${id}`);
      return 'any';
    }
    if (typeof attribute !== 'string') {
      this.#walk(attribute, path);
      return 'any';
    }
    const known = this.#spec.resource(resource.Type)?.attributes;
    // A custom resource has whatever attributes its provider returns; an unknown type is reported once.
    if (known === undefined) return 'any';
    const found = known[attribute];
    if (found === undefined) {
      const names = Object.keys(known).sort().join(', ') || 'none';
      this.#report(path, `${resource.Type} has no attribute ${attribute} (it has: ${names})`);
      return 'any';
    }
    return found.type;
  }

  /** `Fn::Sub`: every `${Name}` is a variable given, a Ref target or a `Resource.Attribute`. */
  #sub(args: unknown, path: string): void {
    const [text, variables] =
      typeof args === 'string' ? [args, {}] : (args as [string, Record<string, unknown>]);
    this.#walk(variables, path);
    for (const [, name] of text.matchAll(/\$\{([^!][^}]*)\}/g)) {
      const reference = (name as string).trim();
      if (reference in variables) continue;
      if (reference.includes('.') && !reference.startsWith('AWS::')) this.#getAtt(reference, path);
      else this.#ref(reference, path);
    }
  }

  #ifBranches(args: unknown, path: string): unknown[] {
    const [condition, ...branches] = args as [string, unknown, unknown];
    this.#condition(condition, `${path}.Fn::If`);
    return branches;
  }

  #condition(name: string, path: string): void {
    if (this.#template.Conditions?.[name] === undefined) this.#report(path, `no condition ${name}`);
  }

  /** Any value of free shape (a policy document, a custom resource's input): only its intrinsics are checked. */
  #walk(value: unknown, path: string): void {
    if (isIntrinsic(value)) {
      this.#intrinsic(value, path);
    } else if (Array.isArray(value)) {
      value.forEach((item, i) => {
        this.#walk(item, `${path}[${i}]`);
      });
    } else if (isPlainObject(value)) {
      for (const [key, item] of Object.entries(value)) this.#walk(item, `${path}.${key}`);
    }
  }
}

function isCustom(type: string): boolean {
  return type.startsWith('Custom::') || type === 'AWS::CloudFormation::CustomResource';
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isIntrinsic(value: unknown): value is Record<string, unknown> {
  if (!isPlainObject(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && (keys[0] === 'Ref' || (keys[0] as string).startsWith('Fn::'));
}

/** CloudFormation converts between scalars: "30" is a number, 30 a string, "true" a boolean. */
function scalarFits(value: unknown, type: string): boolean {
  switch (type) {
    case 'string':
    case 'date-time':
      return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
    case 'integer':
      return (
        (typeof value === 'number' && Number.isInteger(value)) ||
        (typeof value === 'string' && /^-?\d+$/.test(value))
      );
    case 'number':
      return (
        typeof value === 'number' ||
        (typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value)))
      );
    case 'boolean':
      return typeof value === 'boolean' || value === 'true' || value === 'false';
    case 'null':
      return value === null;
    default:
      return false;
  }
}

/** Whether `value` has the JSON shape of `type` (an object for an object type, a list for a list...). */
function shapedLike(value: unknown, type: SpecType): boolean {
  if (Array.isArray(value)) return type.type === 'array' || type.type === 'json';
  if (isPlainObject(value)) return ['json', 'ref', 'map', 'tag'].includes(type.type);
  if (value === null) return type.type === 'null';
  return SCALARS.has(type.type);
}

/** Whether an intrinsic's result can stand for `expected` (scalars convert; lists stay lists). */
function compatible(result: SpecType, expected: SpecType): boolean {
  if (result.type === 'union') return result.types.some((t) => compatible(t, expected));
  if (SCALARS.has(expected.type)) return SCALARS.has(result.type);
  if (expected.type === 'array') return result.type === 'array';
  // An object-shaped property: a JSON attribute, or an attribute of that very shape.
  return result.type === 'json' || result.type === expected.type;
}

function describe(type: Result): string {
  if (type === 'any') return 'anything';
  switch (type.type) {
    case 'array':
      return `a list of ${describe(type.element)}`;
    case 'map':
      return `a map of ${describe(type.element)}`;
    case 'union':
      return type.types.map(describe).join(' or ');
    case 'ref':
      return 'an object';
    default:
      return type.type;
  }
}

function shown(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function splitOnce(text: string, separator: string): [string, string] {
  const at = text.indexOf(separator);
  return at < 0 ? [text, ''] : [text.slice(0, at), text.slice(at + 1)];
}
