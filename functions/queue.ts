import { defaultQueueGateway } from '../shared/gateway.ts';
import { createPortraitQueueHandler } from '../shared/queue/portrait-queue-handler.ts';
import { mapStackTracesLazily } from '../shared/stack-traces.ts';

mapStackTracesLazily(import.meta.url);

/** The requests queue's consumer (partial batch responses); the gateway is built at cold start. */
export const handler = createPortraitQueueHandler(defaultQueueGateway());
