import { defaultGateway } from '../shared/gateway.ts';
import { createPortraitHttpHandler } from '../shared/http/portrait-http-handler.ts';
import { mapStackTracesLazily } from '../shared/stack-traces.ts';

mapStackTracesLazily(import.meta.url);

/** `POST /v4/profile/portrait_get` behind API Gateway; the gateway is built at cold start. */
export const handler = createPortraitHttpHandler(defaultGateway());
