import { afterEach, describe, expect, it, vi } from 'vitest';
import { BlockList } from './limiter.js';

describe('BlockList', () => {
  afterEach(() => vi.useRealTimers());

  it('drops ended blocks once it grows past its bound, and keeps running ones', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(10_000);
    const blocks = new BlockList(3);
    blocks.set('ended-1', 9_000);
    blocks.set('ended-2', 10_000);
    blocks.set('running', 70_000);
    blocks.set('new', 70_000);
    expect([...blocks.keys()].sort()).toEqual(['new', 'running']);
  });

  it('keeps everything below its bound', () => {
    const blocks = new BlockList(3);
    blocks.set('a', 0);
    blocks.set('b', 0);
    blocks.set('c', 0);
    expect(blocks.size).toBe(3);
  });
});
