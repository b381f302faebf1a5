import { withDeferredDateFormats } from './deferred-date-formats';

const OPTIONS: Intl.DateTimeFormatOptions = { year: 'numeric', month: '2-digit', day: '2-digit', hour: 'numeric' };

describe('withDeferredDateFormats', () => {
  const Real = Intl.DateTimeFormat;
  let built: number;

  // Counts the formatters really built: a subclass of the real constructor, not a fake.
  beforeEach(() => {
    built = 0;
    Intl.DateTimeFormat = class extends Real {
      constructor(locales?: Intl.LocalesArgument, options?: Intl.DateTimeFormatOptions) {
        super(locales, options);
        built++;
      }
    } as typeof Intl.DateTimeFormat;
  });
  afterEach(() => (Intl.DateTimeFormat = Real));

  it('builds no formatter while loading, and the real one at first use, once', () => {
    const Counting = Intl.DateTimeFormat;
    const formatter = withDeferredDateFormats(() => new Intl.DateTimeFormat('en-GB', OPTIONS));
    expect(built).toBe(0);
    expect(Intl.DateTimeFormat).toBe(Counting);
    const at = Date.UTC(2026, 10, 30, 7, 5);
    expect(formatter.format(at)).toBe(new Real('en-GB', OPTIONS).format(at));
    expect(formatter.resolvedOptions().locale).toBe('en-GB');
    expect(formatter.formatToParts(at)).toEqual(new Real('en-GB', OPTIONS).formatToParts(at));
    expect(built).toBe(1);
    expect(formatter).toBeInstanceOf(Real);
  });

  it('puts the real constructor back when the load throws', () => {
    const Counting = Intl.DateTimeFormat;
    expect(() =>
      withDeferredDateFormats(() => {
        throw new Error('load failed');
      }),
    ).toThrow('load failed');
    expect(Intl.DateTimeFormat).toBe(Counting);
    expect(new Intl.DateTimeFormat('en-GB', OPTIONS).format(0)).toBe(new Real('en-GB', OPTIONS).format(0));
  });
});
