import { parseClusterUrl } from './redis-cluster-url.js';

describe('parseClusterUrl', () => {
  it('reads every host:port seed, 6379 when the port is left out', () => {
    expect(parseClusterUrl('redis+cluster://10.0.0.1:7000, 10.0.0.2,redis-3:7002')).toEqual({
      seeds: [
        { host: '10.0.0.1', port: 7000 },
        { host: '10.0.0.2', port: 6379 },
        { host: 'redis-3', port: 7002 },
      ],
      username: undefined,
      password: undefined,
    });
  });

  it('reads credentials that apply to every node, URL-decoded', () => {
    expect(parseClusterUrl('redis+cluster://app:p%40ss@10.0.0.1:7000,10.0.0.2:7001')).toEqual({
      seeds: [
        { host: '10.0.0.1', port: 7000 },
        { host: '10.0.0.2', port: 7001 },
      ],
      username: 'app',
      password: 'p@ss',
    });
  });

  it('reads a password without a user name', () => {
    expect(parseClusterUrl('redis+cluster://:secret@h:1')).toMatchObject({
      username: undefined,
      password: 'secret',
    });
  });
});
