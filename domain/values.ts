/** Value schemas shared by request bodies, read models and payloads: each rule written once. */
import { z } from 'zod';
import { groupNamePattern, orderIdPattern } from './vocabulary.js';

export const groupName = z.string().regex(groupNamePattern, 'a group name such as provisioning or web-marketing');
export const orderId = z.string().regex(orderIdPattern, 'an order id such as ORD-0123456789ABCDEF');
export const taskId = z.string().min(1).max(300);
export const customerId = z.string().min(1).max(64);
export const timestamp = z.iso.datetime({ offset: true }).describe('ISO 8601 date and time');
/** Prices are kept in cents and shown in units. */
export const price = z.object({ oneTime: z.number(), recurring: z.number() });
/** Free-form key-value data a caller or a workflow attaches (task input, outcome, audit details). */
export const record = z.record(z.string(), z.unknown());
