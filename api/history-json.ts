/**
 * Temporal's JSON form of a history (what the CLI and web UI export and replay reads), through
 * protobufjs's proto3 JSON mapping: the SDK keeps its own converters under an internal path.
 * A test checks both directions against the recorded histories.
 */
import proto from '@temporalio/proto';
import protojson from 'protobufjs/ext/protojson.js';

export type History = proto.temporal.api.history.v1.IHistory;

const historyType = proto.temporal.api.history.v1.History as unknown as Parameters<typeof protojson.toJson>[0];

export const historyToJson = (history: History): { events: unknown[] } =>
  protojson.toJson(historyType, proto.temporal.api.history.v1.History.fromObject(history) as never) as { events: unknown[] };

export const historyFromJson = (json: unknown): History =>
  protojson.fromJson(historyType, json as never, { ignoreUnknownFields: true }) as History;
