import { loadDemoConfig } from './demo-config.js';

const BASE = { JWT_SECRET: 's'.repeat(32) };

describe('loadDemoConfig defaults (issue 19, L6)', () => {
  it('keeps the refresh token out of response bodies and /metrics off unless asked', () => {
    const config = loadDemoConfig({ ...BASE });

    expect({ transport: config.refreshTransport, metrics: config.metrics }).toEqual({
      transport: 'cookie',
      metrics: false,
    });
  });

  it('turns both on when the environment asks', () => {
    const config = loadDemoConfig({ ...BASE, REFRESH_TRANSPORT: 'both', METRICS: 'true' });

    expect({ transport: config.refreshTransport, metrics: config.metrics }).toEqual({
      transport: 'both',
      metrics: true,
    });
  });
});
