/**
 * `npm run queue -- '<message>' …`: the queue consumer (functions/queue.ts's handler) run once on
 * one SQS batch of these message bodies, on the same embedded services as `npm start` (dynalite
 * and, without Tencent credentials, the demo emulator), publishing to a loopback SQS endpoint. It
 * prints what reached the results queue, which messages SQS would deliver again, and how many
 * upstream calls the batch cost. Exit code 0 once the batch ran; 1 for a setting or an argument it
 * cannot use, in the gateway's style.
 */
import { parseArgs } from 'node:util';
import type { SQSBatchResponse } from 'aws-lambda';
import { parseConfig } from '../../shared/config.ts';
import { ConfigError } from '../../shared/errors.ts';
import { createQueueGateway } from '../../shared/gateway.ts';
import { createPortraitQueueHandler } from '../../shared/queue/portrait-queue-handler.ts';
import { closeConnections } from '../../shared/upstream/tencent-client.ts';
import { FUNCTION_TIMEOUT_SECONDS } from '../api-routes.ts';
import { startEmbeddedServices } from './embedded-services.ts';
import { lambdaContext } from './lambda-context.ts';
import { LoopbackSqs } from './loopback-sqs.ts';
import { sqsEvent } from './sqs-event.ts';
import { telemetryEnvironment } from './telemetry-environment.ts';

const PREFIX = 'queue:';

const HELP = `Usage: npm run queue -- [--verbose] '<message>' ['<message>' …]

Runs the queue consumer once on one SQS batch of these message bodies and prints what it sent to
the results queue. A message is a portrait_get request with an optional CorrelationId, e.g.
  npm run queue -- '{"To_Account":["alice","bob"],"TagList":["Tag_Profile_IM_Nick"],"CorrelationId":"order-42"}'
The messages of one batch are fetched together: two messages of one account each cost one call.
It uses the same environment as npm start (npm start -- --help): without Tencent credentials the
demo emulator, without DYNAMODB_ENDPOINT an embedded DynamoDB (give the one of a running
npm start to share its cache).

Options:
  -v, --verbose   also print the consumer's JSON logs and metrics
  -h, --help      this text`;

/** An argument the queue try-out cannot use. */
class QueueArgumentError extends Error {
  override readonly name = 'QueueArgumentError';
}

function argumentsOf(args: string[]): { messages: string[]; verbose: boolean; help: boolean } {
  try {
    const { values, positionals } = parseArgs({
      args,
      options: {
        verbose: { type: 'boolean', short: 'v', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      allowPositionals: true,
      strict: true,
    });
    if (positionals.length === 0 && !values.help) {
      throw new QueueArgumentError(
        "no message given: npm run queue -- '<message>' (see npm run queue -- --help)",
      );
    }
    return { messages: positionals, verbose: values.verbose, help: values.help };
  } catch (error) {
    if (!String((error as NodeJS.ErrnoException).code).startsWith('ERR_PARSE_ARGS')) throw error;
    throw new QueueArgumentError(`${(error as Error).message} (see npm run queue -- --help)`);
  }
}

function describeResponse(response: SQSBatchResponse, count: number): string {
  const again = response.batchItemFailures.map((failure) => failure.itemIdentifier);
  if (again.length === 0) return `batch response: every message done; SQS deletes all ${count}`;
  return `batch response: SQS would deliver ${again.join(', ')} again (not done yet), and delete the rest`;
}

async function main(): Promise<void> {
  const { messages, verbose, help } = argumentsOf(process.argv.slice(2));
  if (help) {
    console.log(HELP);
    return;
  }
  Object.assign(process.env, telemetryEnvironment({ verbose }, process.env));
  const services = await startEmbeddedServices(parseConfig(process.env));
  const sqs = await LoopbackSqs.start();
  const gateway = createQueueGateway(parseConfig({ ...process.env, RESULTS_QUEUE_URL: sqs.queueUrl() }));
  try {
    if (services.demo)
      console.log(`${PREFIX} DEMO MODE: the demo app's profiles, no real Tencent app is called`);
    const event = sqsEvent(messages.map((body, i) => ({ body, messageId: `message-${i + 1}` })));
    console.log(`${PREFIX} ${messages.length} message(s) in one batch to the queue consumer`);
    const handler = createPortraitQueueHandler(gateway);
    const context = lambdaContext({
      functionName: 'portrait-gateway-queue',
      timeoutMs: FUNCTION_TIMEOUT_SECONDS.queue * 1000,
    });
    const response = await handler(event, context);
    for (const [i, body] of sqs.sentBodies().entries()) {
      console.log(`to the results queue (${i + 1} of ${sqs.sent.length}):`);
      console.log(JSON.stringify(body, null, 2));
    }
    console.log(describeResponse(response, messages.length));
    if (services.emulator) console.log(`upstream calls: ${services.emulator.calls.length}`);
  } finally {
    gateway.close();
    closeConnections();
    await Promise.all([sqs.close(), services.close()]);
  }
}

try {
  await main();
} catch (error) {
  const { name, message } = error instanceof Error ? error : new Error(String(error));
  const expected =
    error instanceof ConfigError || name === 'QueueArgumentError' || name === 'DynamoDbEndpointError';
  if (expected) console.error(`${PREFIX} ${message}`);
  else console.error(`${PREFIX} failed:`, error);
  process.exit(1);
}
