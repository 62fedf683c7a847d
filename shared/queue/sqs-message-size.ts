/**
 * SQS's largest message: 1 MiB (1,048,576 bytes; 262,144 was the limit until 2025). It is also SQS's
 * limit on the summed bodies of one SendMessageBatch call. The gateway's queues are created with
 * this maximum (infra/portrait-gateway-stack.ts), and a result is checked against it before it is
 * sent, since a body above it can never be accepted.
 */
export const SQS_MAX_MESSAGE_BYTES = 1_048_576;
