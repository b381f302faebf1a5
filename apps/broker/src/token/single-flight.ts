/**
 * Concurrent callers with the same key share one run of `work` and its outcome; a call after
 * it settled starts a new run. Used for every per-profile wait of this replica: cold-path
 * token, forced refresh, rejected-token verdict, store re-read.
 */
export class SingleFlight<K, V> {
  private readonly flights = new Map<K, Promise<V>>();

  run(key: K, work: () => Promise<V>): Promise<V> {
    let flight = this.flights.get(key);
    if (!flight) {
      flight = work().finally(() => this.flights.delete(key));
      this.flights.set(key, flight);
    }
    return flight;
  }
}
