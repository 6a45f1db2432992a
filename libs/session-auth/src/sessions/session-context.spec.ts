import { boundedContext } from './session-context.js';

describe('boundedContext', () => {
  it('keeps short values as they are', () => {
    const context = {
      ip: '203.0.113.7',
      userAgent: 'UA/1.0',
      deviceId: 'd-1',
      deviceName: 'Laptop',
    };

    expect(boundedContext(context)).toEqual(context);
  });

  it('trims each field to its column length', () => {
    const bounded = boundedContext({
      ip: '1'.repeat(100),
      userAgent: 'u'.repeat(2000),
      deviceId: 'd'.repeat(300),
      deviceName: 'n'.repeat(300),
    });

    expect(bounded.ip).toHaveLength(64);
    expect(bounded.userAgent).toHaveLength(512);
    expect(bounded.deviceId).toHaveLength(255);
    expect(bounded.deviceName).toHaveLength(255);
  });

  it('drops empty, non-string and unknown fields', () => {
    const bounded = boundedContext({
      ip: '',
      userAgent: 42 as unknown as string,
      deviceName: 'Phone',
      evil: 'x',
    } as never);

    expect(bounded).toEqual({ deviceName: 'Phone' });
  });

  it('accepts no context at all', () => {
    expect(boundedContext()).toEqual({});
  });
});
