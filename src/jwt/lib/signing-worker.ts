import jwt from 'jsonwebtoken';
import { parentPort } from 'node:worker_threads';
import type { SigningReply, SigningRequest } from '../signing-thread.js';

// The thread of a `SigningThread`: each request signed by jsonwebtoken, answered with its id.
parentPort!.on('message', ({ id, claims, key, options }: SigningRequest) => {
  let reply: SigningReply;
  try {
    reply = { id, token: jwt.sign(claims, key, options) };
  } catch (error) {
    reply = { id, error: error instanceof Error ? error : new Error(String(error)) };
  }
  parentPort!.postMessage(reply);
});
