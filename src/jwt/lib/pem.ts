import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';

export interface PemKeys {
  privateKey?: KeyObject;
  publicKey?: KeyObject;
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;

/**
 * Reads every PEM block of a file: the original's recipe concatenates the private and the public
 * key into one file (`cat private_key.pem public_key.pem > keys/myapp-20180101.pem`).
 * Throws a plain Error with a reason; the caller names the file and the setting.
 */
export function parsePemKeys(text: string): PemKeys {
  const result: PemKeys = {};
  for (const match of text.matchAll(PEM_BLOCK)) {
    const [block, label] = match as unknown as [string, string];
    if (label === 'ENCRYPTED PRIVATE KEY') {
      throw new Error('the private key is encrypted; store it unencrypted with restricted file permissions');
    }
    if (label.endsWith('PRIVATE KEY')) {
      if (result.privateKey) throw new Error('it holds more than one private key');
      result.privateKey = createPrivateKey(block);
    } else if (label.endsWith('PUBLIC KEY') || label === 'CERTIFICATE') {
      if (result.publicKey) throw new Error('it holds more than one public key');
      result.publicKey = createPublicKey(block);
    }
  }
  if (!result.privateKey && !result.publicKey) throw new Error('it holds no PEM key');
  if (result.privateKey?.asymmetricKeyType === undefined && result.privateKey) {
    throw new Error('it holds a symmetric key; only RSA and EC keys are supported');
  }
  if (result.privateKey) {
    const derived = createPublicKey(result.privateKey);
    if (result.publicKey) {
      const a = derived.export({ format: 'der', type: 'spki' });
      const b = result.publicKey.export({ format: 'der', type: 'spki' });
      if (!a.equals(b)) throw new Error('its public key does not belong to its private key');
    } else {
      result.publicKey = derived;
    }
  }
  return result;
}
