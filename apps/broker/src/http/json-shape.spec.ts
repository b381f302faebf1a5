import { jsonShapeProblem } from './json-shape';

const limits = { maxDepth: 3, maxMembers: 4 };
const problem = (text: string) => jsonShapeProblem(text, limits);

describe('jsonShapeProblem', () => {
  it.each([
    ['a flat object', '{"access_token":"a","profile":"b"}'],
    ['nesting at the limit', '{"a":[{"b":1}]}'],
    ['members at the limit', '{"a":1,"b":2,"c":3,"d":4}'],
    ['the same key in two objects', '[{"a":1},{"a":2}]'],
    ['a key repeated as a value', '{"a":"a","b":"a"}'],
    ['brackets, commas and escaped quotes inside strings', '{"a":"[[[[{,,,,}\\"[[[[","b":"\\\\"}'],
    ['scalars', '"x"'],
  ])('accepts %s', (_case, text) => {
    expect(problem(text)).toBeUndefined();
  });

  it.each([
    ['arrays too deep', '[[[[]]]]', 'nested deeper than 3'],
    ['objects too deep', '{"a":{"b":{"c":{}}}}', 'nested deeper than 3'],
    ['too deep even if never closed', '[[[[', 'nested deeper than 3'],
    ['too many members', '{"a":1,"b":2,"c":3,"d":4,"e":5}', 'at most 4 members'],
    ['too many elements', '[1,2,3,4,5]', 'at most 4 members'],
    ['a repeated key', '{"access_token":"a","access_token":"b"}', 'repeat a key'],
    ['a key repeated with an escape', '{"ab":1,"a\\u0062":2}', 'repeat a key'],
    ['a key repeated after a nested object', '{"a":{"a":1},"a":2}', 'repeat a key'],
  ])('refuses %s', (_case, text, expected) => {
    expect(problem(text)).toContain(expected);
  });

  it('stops at the depth limit without recursing (5,000 brackets, then 500,000)', () => {
    for (const n of [5_000, 500_000]) {
      expect(jsonShapeProblem('['.repeat(n) + ']'.repeat(n), { maxDepth: 8, maxMembers: 64 })).toContain('deeper');
    }
  });

  it.each([
    ['an unterminated string', '{"a'],
    ['a key with a bad escape', '{"\\x":1}'],
    ['more closers than openers', ']]]}'],
  ])('leaves %s to JSON.parse (no crash, no verdict)', (_case, text) => {
    expect(problem(text)).toBeUndefined();
  });
});
