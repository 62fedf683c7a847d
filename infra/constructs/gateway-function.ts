import { type Duration, RemovalPolicy } from 'aws-cdk-lib';
import { type IRole, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { ApplicationLogLevel, Architecture, LoggingFormat, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/** esbuild's ESM output has no `require`; CommonJS dependencies bundled into it still call it. */
export const ESM_REQUIRE_BANNER =
  "import { createRequire } from 'module';const require = createRequire(import.meta.url);";

export interface GatewayFunctionProps {
  /** Absolute path of the handler module; it exports `handler`. */
  entry: string;
  /** The repository root: esbuild resolves dependencies from here and its package-lock.json. */
  projectRoot: string;
  description: string;
  timeout: Duration;
  memorySize: number;
  reservedConcurrency: number;
  environment: Record<string, string>;
  logRetention: RetentionDays;
  /** Whether the AWS SDK v3 goes into the bundle (pinned versions) or comes from the runtime. */
  bundleAwsSdk: boolean;
}

/**
 * One Lambda entry point of the gateway: nodejs24.x on arm64, an ESM bundle (minified, with source
 * maps), JSON logs into its own log group with a retention, and a role that starts with nothing but
 * writing to that log group. Callers add every other permission, each scoped to its resource.
 */
export class GatewayFunction extends Construct {
  readonly function: NodejsFunction;
  readonly role: IRole;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: GatewayFunctionProps) {
    super(scope, id);
    this.logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // Our own role instead of CDK's default: that one carries AWSLambdaBasicExecutionRole, which may
    // create and write any log group in the account.
    const role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `${props.description}: runs the function`,
    });
    this.logGroup.grantWrite(role);
    this.role = role;
    this.function = new NodejsFunction(this, 'Function', {
      entry: props.entry,
      handler: 'handler',
      projectRoot: props.projectRoot,
      depsLockFilePath: `${props.projectRoot}/package-lock.json`,
      description: props.description,
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize,
      timeout: props.timeout,
      reservedConcurrentExecutions: props.reservedConcurrency,
      role,
      logGroup: this.logGroup,
      loggingFormat: LoggingFormat.JSON,
      applicationLogLevelV2: ApplicationLogLevel.INFO,
      // No --enable-source-maps: it parses the bundle's map at every cold start; each entry maps
      // its stack traces itself, when one is formatted (shared/stack-traces.ts).
      environment: props.environment,
      bundling: {
        format: OutputFormat.ESM,
        target: 'node24',
        mainFields: ['module', 'main'],
        banner: ESM_REQUIRE_BANNER,
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        bundleAwsSDK: props.bundleAwsSdk,
      },
    });
  }
}
