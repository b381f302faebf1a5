import { EventEmitter } from 'node:events';
import type { Redis } from 'ioredis';
import { closeRedis, REVIVE_DELAY_MS, reviveWhenGivenUp } from './redis-revival';

/** The part of an ioredis client the revival sees: status events, as ioredis emits them. */
class FakeClient extends EventEmitter {
  status = 'wait';
  readonly connect = jest.fn(() => {
    this.go('connecting');
    return Promise.resolve();
  });
  readonly quit = jest.fn(() => {
    this.go('close');
    this.go('end');
    return Promise.resolve('OK');
  });
  readonly disconnect = jest.fn();

  go(status: string): void {
    this.status = status;
    this.emit(status);
  }
}

describe('reviveWhenGivenUp', () => {
  const warn = jest.fn();
  let client: FakeClient;

  beforeEach(() => {
    jest.useFakeTimers();
    warn.mockClear();
    client = new FakeClient();
    reviveWhenGivenUp(client as unknown as Redis, { log: jest.fn(), error: jest.fn(), warn });
  });
  afterEach(() => jest.useRealTimers());

  it('connects again, after a short delay, a client ended straight from connecting (the connector gave up)', () => {
    client.go('ready');
    client.go('close');
    client.go('reconnecting');
    client.go('connecting');
    client.go('end');

    jest.advanceTimersByTime(REVIVE_DELAY_MS - 1);
    expect(client.connect).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    expect(client.connect).toHaveBeenCalledTimes(1);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('connecting again'));
  });

  it('revives it every time ioredis gives up, not only once', () => {
    for (let i = 1; i <= 3; i++) {
      client.go('connecting');
      client.go('end');
      jest.advanceTimersByTime(REVIVE_DELAY_MS);
      expect(client.connect).toHaveBeenCalledTimes(i);
    }
  });

  it('leaves alone a client that ended after a close (retries exhausted or closed by its owner)', () => {
    client.go('ready');
    client.go('close');
    client.go('end');
    jest.advanceTimersByTime(10 * REVIVE_DELAY_MS);
    expect(client.connect).not.toHaveBeenCalled();
  });

  it('never revives a client closed with closeRedis, even one closed in the middle of a connect', async () => {
    client.go('connecting');
    await closeRedis(client as unknown as Redis);
    // ioredis answers a disconnect during a connect with connecting -> end, like a give-up.
    client.go('connecting');
    client.go('end');
    jest.advanceTimersByTime(10 * REVIVE_DELAY_MS);
    expect(client.quit).toHaveBeenCalledTimes(1);
    expect(client.connect).not.toHaveBeenCalled();
  });

  it('does not connect a client that something else reconnected during the delay', () => {
    client.go('connecting');
    client.go('end');
    client.go('connecting');
    jest.advanceTimersByTime(REVIVE_DELAY_MS);
    expect(client.connect).not.toHaveBeenCalled();
  });
});
