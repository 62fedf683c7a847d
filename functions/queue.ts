import { defaultGateway } from '../shared/gateway.ts';
import { createPortraitQueueHandler } from '../shared/queue/portrait-queue-handler.ts';

/** The requests queue's consumer (partial batch responses); the gateway is built at cold start. */
export const handler = createPortraitQueueHandler(defaultGateway());
