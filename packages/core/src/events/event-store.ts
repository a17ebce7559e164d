/**
 * The per-location event log: the contract both backends implement (sqlite/ embedded, postgres/ for replicas).
 *
 * Each location's events get a sequence number of their own (1, 2, 3 … without gaps), assigned in the order
 * they are stored; the sequence number is the subscriber's cursor. An event is stored once per location: a second
 * receipt of the same event id answers the first one's sequence number. `append` resolves only once the events are
 * durable (committed and synced), so a webhook is acknowledged only for what a crash cannot lose.
 */

/** One event to store for one location. */
export interface AppendEvent {
  locationUid: string;
  /** The document's id (event-document.ts); unique per location. */
  eventId: string;
  eventType: string;
  /** Epoch ms. */
  receivedAt: number;
  subscriptionId: string;
  /** SHA-256 of the request's timestamp and signature: a request repeated byte for byte has the same one. */
  requestHash: string;
  /** The document as received. */
  body: string;
}

/** What `append` did with one event. */
export type AppendOutcome =
  | { readonly stored: true; readonly seq: number }
  /** Already in the log at `seq`; `replay` when the very same request (timestamp and signature) stored it. */
  | { readonly stored: false; readonly seq: number; readonly replay: boolean };

/** One stored event. */
export interface StoredEvent {
  locationUid: string;
  seq: number;
  eventId: string;
  eventType: string;
  /** Epoch ms. */
  receivedAt: number;
  body: string;
}

/** A page of a location's log. */
export interface EventPage {
  events: StoredEvent[];
  /** The highest sequence number this read looked at: the next read continues after it (filtered-out events included). */
  scannedThrough: number;
}

/** Where a location's log stands. */
export interface LogHead {
  /** The last sequence number assigned; 0 before the first event. */
  lastSeq: number;
  /** Retention removed every event up to this sequence number; a cursor below it has lost events. */
  prunedThrough: number;
}

/** A location's HTTP forwarder, as stored (so a restart resumes where it stopped). */
export interface ForwardState {
  /** Every event up to here was delivered or dead-lettered. */
  deliveredSeq: number;
  /** Failed attempts at the next event. */
  attempts: number;
  /** Epoch ms of the next attempt while retrying. */
  nextAttemptAt?: number | undefined;
  /** The subscriber's last HTTP status (0: no answer). */
  lastStatus?: number | undefined;
  /** Why the last attempt failed, without the subscriber's answer body. */
  lastError?: string | undefined;
  /** Events given up on. */
  deadLetters: number;
  /** The sequence number of the last event given up on. */
  lastDeadSeq?: number | undefined;
}

/** What a forwarder records after an attempt. */
export interface ForwardUpdate {
  deliveredSeq: number;
  attempts: number;
  nextAttemptAt?: number | undefined;
  lastStatus?: number | undefined;
  lastError?: string | undefined;
  /** The event at `deliveredSeq` was given up on after its last attempt. */
  deadLetter?: boolean | undefined;
}

/** The event log. */
export interface EventStore {
  /** Stores the events in one durable transaction, deduplicated per location; in the order given. */
  append(events: readonly AppendEvent[]): Promise<AppendOutcome[]>;
  /** Up to `limit` events of the location after `afterSeq`, oldest first, optionally of these types only. */
  read(locationUid: string, afterSeq: number, limit: number, eventTypes?: readonly string[]): Promise<EventPage>;
  head(locationUid: string): Promise<LogHead>;
  /** Removes events received before `before` (epoch ms); returns how many. */
  prune(before: number): Promise<number>;
  forwardState(locationUid: string): Promise<ForwardState>;
  /**
   * Takes or renews the location's forwarder lease for `ttlMs`, so one router process forwards a location at a
   * time; false while another owner holds it.
   */
  claimForwarder(locationUid: string, owner: string, ttlMs: number): Promise<boolean>;
  /** Records an attempt; false (and nothing changed) when `owner` no longer holds the lease. */
  recordForward(locationUid: string, owner: string, update: ForwardUpdate): Promise<boolean>;
  /**
   * Told of each stored event (location and sequence number): by this process, and for a shared store by the
   * other replicas' too. Returns a function that stops listening.
   */
  onAppended(listener: (locationUid: string, seq: number) => void): () => void;
  close(): Promise<void>;
}
