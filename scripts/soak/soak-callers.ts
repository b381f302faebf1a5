import { setTimeout as sleep } from 'node:timers/promises';
import { BrokerClient, BrokerClientError } from '../../libs/broker-client/src/index';

export type CallerKind = 'client' | 'proxy';

/** A call the application saw fail: after the client's own retry, or the proxy's answer. */
export interface FailedCall {
  readonly caller: string;
  readonly profile: string;
  readonly kind: CallerKind;
  /** `proof_401`, a BrokerClientError code, `proxy_503_token_unavailable`, `exception: ...` */
  readonly cause: string;
  readonly startedAt: number;
  readonly at: number;
  /**
   * The client library answered at once from its backoff (no request sent): the broker's
   * Retry-After, then its own exponential backoff (up to 10 s) after this earlier failure.
   */
  readonly backoffOf?: FailedCall;
}

export interface CallerTargets {
  /** HAProxy in front of the replicas. */
  readonly brokerUrl: string;
  /** A caller key with token:read and proof:call on every profile. */
  readonly key: string;
  /** Each profile and its Proof (an emulator): what a service calls with the profile's token. */
  readonly profiles: readonly { readonly name: string; readonly proofUrl: string }[];
}

const CALL_TIMEOUT_MS = 15_000;

/**
 * Services calling Proof the two ways the broker offers, each in its own loop: `client`
 * loops each own a BrokerClient (cache until refresh_at, single flight, 401 recovery) and call
 * the emulator's /v1/transactions/:id with its token, as a TypeScript service does;
 * `proxy` loops call GET /proof/v1/transactions/:id through HAProxy (role proof:call).
 */
export class SoakCallers {
  readonly failures: FailedCall[] = [];
  readonly calls: Record<CallerKind, number> = { client: 0, proxy: 0 };
  readonly ok: Record<CallerKind, number> = { client: 0, proxy: 0 };
  private running = true;
  // Paused until the cluster is up: resume() starts the calls.
  private paused = true;
  private readonly loops: Promise<void>[] = [];
  private readonly clients: BrokerClient[] = [];
  private inFlight = 0;
  /** Per client loop, its client's last failure: thrown again, as is, while it backs off. */
  private readonly lastFailure = new Map<string, { error: unknown; failure: FailedCall }>();

  constructor(
    private readonly targets: CallerTargets,
    /** Loops per profile. */
    counts: { client: number; proxy: number },
    private readonly intervalMs = 100,
  ) {
    for (const profile of targets.profiles) {
      for (let i = 0; i < counts.client; i++)
        this.loops.push(this.loop(`${profile.name}-client${i + 1}`, profile.name, 'client', this.clientCall(profile)));
      for (let i = 0; i < counts.proxy; i++)
        this.loops.push(
          this.loop(`${profile.name}-proxy${i + 1}`, profile.name, 'proxy', this.proxyCall(profile.name)),
        );
    }
  }

  /** Stops sending new calls and waits for those in flight (between run segments). */
  async pause(): Promise<void> {
    this.paused = true;
    while (this.inFlight > 0) await sleep(10);
  }

  resume(): void {
    this.paused = false;
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
    this.clients.forEach((c) => c.close());
  }

  private clientCall(profile: { name: string; proofUrl: string }): (path: string) => Promise<Response> {
    const client = new BrokerClient({
      url: this.targets.brokerUrl,
      profile: profile.name,
      key: this.targets.key,
      safetyMarginSeconds: 2,
      requestTimeoutMs: CALL_TIMEOUT_MS,
    });
    this.clients.push(client);
    return (path) => client.fetch(`${profile.proofUrl}${path}`, { signal: AbortSignal.timeout(CALL_TIMEOUT_MS) });
  }

  private proxyCall(profile: string): (path: string) => Promise<Response> {
    return (path) =>
      fetch(`${this.targets.brokerUrl}/proof${path}`, {
        headers: { authorization: `Bearer ${this.targets.key}`, 'x-broker-profile': profile },
        signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
      });
  }

  private async loop(
    caller: string,
    profile: string,
    kind: CallerKind,
    call: (path: string) => Promise<Response>,
  ): Promise<void> {
    for (let i = 0; this.running; i++) {
      if (this.paused) {
        await sleep(50);
        continue;
      }
      this.inFlight++;
      const startedAt = Date.now();
      this.calls[kind]++;
      try {
        const response = await call(`/v1/transactions/${caller}-${i}`);
        const body = await response.text();
        if (response.status === 200) this.ok[kind]++;
        else
          this.fail(
            caller,
            profile,
            kind,
            `${kind === 'proxy' ? 'proxy' : 'proof'}_${response.status}${errorCode(body)}`,
            startedAt,
          );
      } catch (error) {
        const cause = error instanceof BrokerClientError ? error.code : `exception: ${(error as Error).message}`;
        const last = this.lastFailure.get(caller);
        const backoffOf = last !== undefined && last.error === error ? last.failure : undefined;
        const failure = this.fail(caller, profile, kind, cause, startedAt, backoffOf);
        if (failure.backoffOf === undefined) this.lastFailure.set(caller, { error, failure });
      } finally {
        this.inFlight--;
      }
      await sleep(this.intervalMs);
    }
  }

  private fail(
    caller: string,
    profile: string,
    kind: CallerKind,
    cause: string,
    startedAt: number,
    backoffOf?: FailedCall,
  ): FailedCall {
    const failure = { caller, profile, kind, cause, startedAt, at: Date.now(), backoffOf };
    this.failures.push(failure);
    return failure;
  }
}

/** `_token_unavailable` from the broker's `{"error": ...}` body; nothing from Proof's. */
function errorCode(body: string): string {
  try {
    const error = (JSON.parse(body) as { error?: unknown }).error;
    return typeof error === 'string' ? `_${error}` : '';
  } catch {
    return '';
  }
}
