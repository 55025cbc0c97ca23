import { describe, expect, it } from 'vitest';
import { searchFilter } from './filters.ts';

describe('searchFilter', () => {
  it('matches any column, quoted so reserved characters stay literal', () => {
    expect(searchFilter(['name', 'city'], 'Oak, St. (4B)')).toBe('name.ilike."*Oak, St. (4B)*",city.ilike."*Oak, St. (4B)*"');
  });
  it('escapes LIKE wildcards and quotes', () => {
    expect(searchFilter(['label'], '50%_"x"')).toBe('label.ilike."*50\\\\%\\\\_\\"x\\"*"');
  });
});
