import { exportJWK, generateKeyPair, SignJWT, type JSONWebKeySet } from 'jose';

import { createJwtAccessTokenVerifier } from '../../../src/oidc/jwt-access-tokens.ts';

const ISSUER = 'https://gatehouse.example';
const T0 = Date.UTC(2030, 0, 1) / 1000; // epoch s

async function keySet(kid: string) {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwks: JSONWebKeySet = { keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' }] };
  const sign = (claims: Record<string, unknown>, header: Record<string, unknown> = {}) => new SignJWT(claims)
    .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid, ...header })
    .sign(privateKey);
  return { jwks, sign };
}

/** Verifies again and again, as a resource server introspecting one token does: the answers must not drift. */
describe('JWT access token verification, remembered between calls', () => {
  const claims = { iss: ISSUER, sub: 'svc', client_id: 'svc', jti: 'j1', iat: T0, exp: T0 + 60 };

  test('a token stays valid until its exp, and is refused from exp on, also after it was verified before', async () => {
    const { jwks, sign } = await keySet('k1');
    let now = (T0 + 10) * 1000;
    const verifier = createJwtAccessTokenVerifier({ issuer: ISSUER, jwks: () => jwks, now: () => now });
    const token = await sign(claims);
    expect(await verifier.verify(token)).toMatchObject({ jti: 'j1', exp: T0 + 60 });
    now = (T0 + 59) * 1000 + 999;
    expect(await verifier.verify(token)).toMatchObject({ jti: 'j1' });
    now = (T0 + 60) * 1000;
    expect(await verifier.verify(token)).toBeUndefined();
    now = (T0 + 10) * 1000; // a clock set back later cannot revive it from memory: it is verified afresh
    expect(await verifier.verify(token)).toMatchObject({ jti: 'j1' });
  });

  test('a token is refused before its nbf, then accepted', async () => {
    const { jwks, sign } = await keySet('k1');
    let now = (T0 + 10) * 1000;
    const verifier = createJwtAccessTokenVerifier({ issuer: ISSUER, jwks: () => jwks, now: () => now });
    const token = await sign({ ...claims, nbf: T0 + 20 });
    expect(await verifier.verify(token)).toBeUndefined();
    now = (T0 + 20) * 1000;
    expect(await verifier.verify(token)).toMatchObject({ jti: 'j1' });
    now = (T0 + 19) * 1000;
    expect(await verifier.verify(token)).toBeUndefined();
  });

  test('once the key set no longer holds the signing key, a token verified before is refused', async () => {
    const first = await keySet('k1');
    const second = await keySet('k2');
    let jwks = first.jwks;
    const verifier = createJwtAccessTokenVerifier({ issuer: ISSUER, jwks: () => jwks, now: () => (T0 + 10) * 1000 });
    const token = await first.sign(claims);
    expect(await verifier.verify(token)).toMatchObject({ jti: 'j1' });
    jwks = second.jwks;
    expect(await verifier.verify(token)).toBeUndefined();
  });

  test('each caller gets its own copy of the claims', async () => {
    const { jwks, sign } = await keySet('k1');
    const verifier = createJwtAccessTokenVerifier({ issuer: ISSUER, jwks: () => jwks, now: () => (T0 + 10) * 1000 });
    const token = await sign({ ...claims, cnf: { jkt: 'thumb' } });
    const first = await verifier.verify(token);
    first!.sub = 'someone else';
    (first!.cnf as { jkt: string }).jkt = 'other';
    expect(await verifier.verify(token)).toMatchObject({ sub: 'svc', cnf: { jkt: 'thumb' } });
  });

  test('another issuer, another typ, or a changed byte are refused every time', async () => {
    const { jwks, sign } = await keySet('k1');
    const verifier = createJwtAccessTokenVerifier({ issuer: ISSUER, jwks: () => jwks, now: () => (T0 + 10) * 1000 });
    const foreign = await sign({ ...claims, iss: 'https://elsewhere.example' });
    const idToken = await sign(claims, { typ: 'JWT' });
    const good = await sign(claims);
    const tampered = `${good.slice(0, -2)}${good.endsWith('AA') ? 'AB' : 'AA'}`;
    for (let i = 0; i < 2; i++) {
      expect(await verifier.verify(foreign)).toBeUndefined();
      expect(await verifier.verify(idToken)).toBeUndefined();
      expect(await verifier.verify(tampered)).toBeUndefined();
    }
    expect(await verifier.verify(good)).toMatchObject({ jti: 'j1' });
  });
});
