import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { boundedLabel, MAX_LABEL_LENGTH } from '../../src/common/bounded-label.js';

describe('boundedLabel', () => {
  it('keeps a value shorter than MAX_LABEL_LENGTH as it is', () => {
    const value = 'x'.repeat(MAX_LABEL_LENGTH - 1);
    expect(boundedLabel(value)).toBe(value);
    expect(boundedLabel('api.example.com:443')).toBe('api.example.com:443');
  });

  it('cuts a longer value to MAX_LABEL_LENGTH: its prefix, ~ and part of the SHA-256 of the whole value', () => {
    const value = `${'h'.repeat(70_000)}:443`;
    const hash = createHash('sha256').update(value).digest('hex');
    expect(boundedLabel(value)).toBe(`${'h'.repeat(231)}~${hash.slice(0, 24)}`);
    expect(boundedLabel('y'.repeat(MAX_LABEL_LENGTH))).toHaveLength(MAX_LABEL_LENGTH);
  });

  it('gives the same input the same output, and long inputs that differ anywhere different outputs', () => {
    const base = 'z'.repeat(10_000);
    const variants = [base, `${base}1`, `${base}2`, `1${base}`, `${base.slice(0, 5_000)}1${base.slice(5_001)}`];
    const outputs = variants.map(boundedLabel);
    expect(new Set(outputs).size).toBe(variants.length);
    expect(variants.map(boundedLabel)).toEqual(outputs);
  });

  it('never equals a value it keeps: a kept value is shorter than any shortened one', () => {
    const long = 'q'.repeat(MAX_LABEL_LENGTH + 10);
    const shortened = boundedLabel(long);
    // The shortened text itself is long enough to be shortened again: it cannot stand for a kept value.
    expect(boundedLabel(shortened)).not.toBe(shortened);
    expect(boundedLabel(shortened.slice(0, -1))).toBe(shortened.slice(0, -1));
  });

  it('does not cut a surrogate pair in two', () => {
    const value = `${'a'.repeat(230)}😀${'b'.repeat(100)}`; // the emoji's halves at 230 and 231
    const out = boundedLabel(value);
    expect(out).toHaveLength(MAX_LABEL_LENGTH);
    expect(out.slice(0, 231)).toBe(`${'a'.repeat(230)}~`);
    expect(Buffer.from(out, 'utf8').toString('utf8')).toBe(out); // no lone surrogate to replace
  });
});
