import { CallbackReceiver } from '../shared/callback/callback-receiver.ts';
import { defaultCallbackGateway } from '../shared/gateway.ts';
import { createCallbackHttpHandler } from '../shared/http/callback-http-handler.ts';
import { mapStackTracesLazily } from '../shared/stack-traces.ts';

mapStackTracesLazily(import.meta.url);

const { credentials, cache, logger, metrics } = defaultCallbackGateway();

/** Lambda entry of `POST /tencent-im/callback`: Tencent's webhooks, verified by its callback token. */
export const handler = createCallbackHttpHandler({
  receiver: new CallbackReceiver({ credentials, cache, logger, metrics }),
  logger,
  metrics,
});
