import { CallbackReceiver } from '../shared/callback/callback-receiver.ts';
import { defaultGateway } from '../shared/gateway.ts';
import { createCallbackHttpHandler } from '../shared/http/callback-http-handler.ts';

const { credentials, cache, logger, metrics } = defaultGateway();

/** Lambda entry of `POST /tencent-im/callback`: Tencent's webhooks, verified by its callback token. */
export const handler = createCallbackHttpHandler({
  receiver: new CallbackReceiver({ credentials, cache, logger, metrics }),
  logger,
  metrics,
});
