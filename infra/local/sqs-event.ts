import { randomUUID } from 'node:crypto';
import type { SQSEvent, SQSRecord } from 'aws-lambda';

export interface SqsMessageInput {
  /** A string is sent as is; anything else is JSON-encoded. */
  body: unknown;
  messageId?: string;
}

/** An SQS event of these messages, in order; each gets a fresh message id unless one is given. */
export function sqsEvent(messages: readonly (SqsMessageInput | string)[]): SQSEvent {
  const Records = messages.map((message): SQSRecord => {
    const { body, messageId } =
      typeof message === 'string' ? { body: message, messageId: undefined } : message;
    return {
      messageId: messageId ?? randomUUID(),
      receiptHandle: randomUUID(),
      body: typeof body === 'string' ? body : JSON.stringify(body),
      attributes: {
        ApproximateReceiveCount: '1',
        SentTimestamp: String(Date.now()),
        SenderId: 'AIDALOOPBACK',
        ApproximateFirstReceiveTimestamp: String(Date.now()),
      },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:requests',
      awsRegion: 'us-east-1',
    };
  });
  return { Records };
}
