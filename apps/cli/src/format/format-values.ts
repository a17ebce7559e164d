/** A protobuf Timestamp's shape; structural, so the CLI needs no protobuf import. */
interface TimestampLike {
  seconds: bigint;
  nanos: number;
}

/** A protobuf timestamp as ISO 8601 UTC, or "" when unset. */
export function formatTimestamp(ts: TimestampLike | undefined): string {
  return ts === undefined ? "" : new Date(Number(ts.seconds) * 1000 + Math.floor(ts.nanos / 1_000_000)).toISOString();
}

/** The name of a protobuf enum value, lower case: VerificationState.NOT_IN_SCOPE → "not_in_scope". */
export function enumName(enumObject: Record<number, string>, value: number): string {
  return (enumObject[value] ?? String(value)).toLowerCase();
}
