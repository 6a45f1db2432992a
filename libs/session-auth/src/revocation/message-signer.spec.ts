import { MessageSigner } from './message-signer.js';

const key = (byte: number) => Buffer.alloc(32, byte);

describe('MessageSigner', () => {
  const signer = new MessageSigner([key(1)]);

  it('opens what it signed, of the same kind only', () => {
    const signed = signer.sign('ack', 'r1 instance-b');
    expect(signer.open('ack', signed)).toBe('r1 instance-b');
    expect(signer.open('announce', signed)).toBeUndefined();
  });

  it('refuses unsigned, altered and foreign messages', () => {
    const signed = signer.sign('announce', 'r1 instance-a');
    expect(signer.open('announce', 'r1 instance-a')).toBeUndefined();
    expect(signer.open('announce', signed.replace('r1', 'r2'))).toBeUndefined();
    expect(
      signer.open('announce', new MessageSigner([key(2)]).sign('announce', 'r1 instance-a')),
    ).toBeUndefined();
    expect(signer.open('announce', `${'r1 instance-a'} ${'A'.repeat(43)}`)).toBeUndefined();
  });

  it('verifies with every configured key and signs with the first (secret rotation)', () => {
    const rotated = new MessageSigner([key(2), key(1)]);
    expect(rotated.open('ack', signer.sign('ack', 'r1 b'))).toBe('r1 b');
    expect(signer.open('ack', rotated.sign('ack', 'r1 b'))).toBeUndefined();
  });
});
