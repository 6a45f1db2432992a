import { parseDurationSeconds } from './duration.js';

describe('parseDurationSeconds: whole seconds only', () => {
  it('refuses durations under one second and rounds the rest to whole seconds', () => {
    expect(parseDurationSeconds(0.2)).toBeUndefined();
    expect(parseDurationSeconds('0.5s')).toBeUndefined();
    expect(parseDurationSeconds(1.4)).toBe(1);
    expect(parseDurationSeconds('1.5m')).toBe(90);
  });
});

describe('parseDurationSeconds', () => {
  it.each([
    [900, 900],
    ['900', 900],
    ['30s', 30],
    ['15m', 900],
    ['12h', 43_200],
    ['7d', 604_800],
    ['30d', 2_592_000],
    [' 15m ', 900],
    ['15 m', 900],
    ['1.5m', 90],
  ])('parses %j as %d seconds', (input, seconds) => {
    expect(parseDurationSeconds(input)).toBe(seconds);
  });

  it.each([
    [0],
    [-1],
    [Number.NaN],
    [Number.POSITIVE_INFINITY],
    ['0'],
    ['0m'],
    ['-5m'],
    ['15w'],
    ['15 minutes'],
    ['m'],
    [''],
    ['   '],
    ['1e3'],
    ['0x10'],
    [null],
    [undefined],
    [true],
    [{}],
    [['15m']],
  ])('refuses %j', (input) => {
    expect(parseDurationSeconds(input)).toBeUndefined();
  });

  it('is case sensitive about units (an upper-case M is not minutes or months)', () => {
    expect(parseDurationSeconds('15M')).toBeUndefined();
  });
});
