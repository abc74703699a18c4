/**
 * How API keys are made and stored: 256 random bits, kept only as a SHA-256 digest, so a leaked
 * table does not leak usable keys (the keys are random, so a slow hash would add nothing).
 */
import { createHash, randomBytes } from 'node:crypto';

export const hashApiKey = (key: string) => createHash('sha256').update(key).digest('hex');
export const newApiKey = () => `orq_${randomBytes(32).toString('base64url')}`;
