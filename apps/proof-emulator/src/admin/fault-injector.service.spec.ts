import { FaultInjectorService } from './fault-injector.service';

describe('FaultInjectorService', () => {
  const fault = (mode: '500' | '503' | 'drop') => ({ mode, retryAfterSeconds: 2, latencyMs: 0 });

  it('plays queued faults in order, each for `count` requests, then nothing', () => {
    const faults = new FaultInjectorService();
    faults.enqueue(fault('500'), 2);
    faults.enqueue(fault('drop'), 1);
    expect([faults.take()?.mode, faults.take()?.mode, faults.take()?.mode, faults.take()]).toEqual([
      '500',
      '500',
      'drop',
      undefined,
    ]);
  });

  it('clear drops the queue and reports how many requests it still covered', () => {
    const faults = new FaultInjectorService();
    faults.enqueue(fault('503'), 3);
    faults.take();
    faults.enqueue(fault('500'), 1);
    expect(faults.pending().map((f) => f.remaining)).toEqual([2, 1]);
    expect(faults.clear()).toBe(3);
    expect(faults.take()).toBeUndefined();
  });
});
