import type { QuotaGroup } from "./quota-group.js";
import type { TokenBucket } from "./token-bucket.js";

/** One call waiting for a token. @internal */
export interface BudgetWaiter {
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
  /** Epoch ms after which the call is refused instead of kept waiting. */
  readonly bound: number;
  readonly requestId: string | undefined;
  readonly signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

/** A location's state: its own bucket, its fair share of its group, its queue. @internal */
export class BudgetMember {
  readonly queue: BudgetWaiter[] = [];
  /** Epoch ms until which Podium's 429 pauses this location. */
  pausedUntil = 0;
  inRing = false;

  constructor(
    readonly uid: string,
    readonly group: QuotaGroup,
    /** The location's own budget (defaults or its override). */
    readonly bucket: TokenBucket,
    /** Its fair-share credit of the group bucket (see FairShares). */
    readonly share: TokenBucket,
    public lastUsed: number,
  ) {}
}
