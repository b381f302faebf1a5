import { SingleFlight } from './single-flight';

describe('SingleFlight', () => {
  it('shares one run among concurrent callers of a key, and starts a new one once it settled', async () => {
    const flights = new SingleFlight<string, number>();
    let runs = 0;
    const work = () => new Promise<number>((resolve) => setImmediate(() => resolve(++runs)));
    const [a, b, other] = await Promise.all([flights.run('p', work), flights.run('p', work), flights.run('q', work)]);
    expect([a, b]).toEqual([1, 1]);
    expect(other).toBe(2);
    expect(await flights.run('p', work)).toBe(3);
  });

  it('shares a failure too, and forgets it', async () => {
    const flights = new SingleFlight<string, number>();
    const failing = () => Promise.reject(new Error('upstream down'));
    await expect(Promise.all([flights.run('p', failing), flights.run('p', failing)])).rejects.toThrow('upstream down');
    expect(await flights.run('p', () => Promise.resolve(7))).toBe(7);
  });
});
