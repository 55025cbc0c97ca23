import { describe, expect, it } from 'vitest';
import { currencySymbol, formatBalance, formatMoney, minorToInput, parseMoney } from './money.ts';

describe('money', () => {
  it('formats minor units in the currency and locale', () => {
    expect(formatMoney(123456, 'USD', 'en-US')).toBe('$1,234.56');
    expect(formatMoney(123456, 'JPY', 'en-US')).toBe('¥123,456');
    expect(formatMoney(123456, 'EUR', 'de-DE')).toBe('1.234,56\u00a0€');
  });
  it('shows a negative balance as a credit, never a bare minus', () => {
    expect(formatBalance(-5000, 'USD', 'en-US')).toBe('$50.00 credit');
    expect(formatBalance(5000, 'USD', 'en-US')).toBe('$50.00');
  });
  it('parses what people type into minor units, refusing what is not an amount', () => {
    expect(parseMoney('1,234.5', 'USD')).toBe(123450);
    expect(parseMoney('$ 950', 'USD')).toBe(95000);
    expect(parseMoney('12.345', 'USD')).toBeNull();
    expect(parseMoney('abc', 'USD')).toBeNull();
    expect(parseMoney('-5', 'USD')).toBeNull();
    expect(parseMoney('500', 'JPY')).toBe(500);
  });
  it('round-trips to an input value and names the symbol', () => {
    expect(minorToInput(95000, 'USD')).toBe('950.00');
    expect(currencySymbol('GBP', 'en-GB')).toBe('£');
  });
});
