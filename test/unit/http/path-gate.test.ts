import { onlyUnder, routedPath } from '../../../src/http/path-gate.ts';

describe('routedPath', () => {
  test('folds ASCII capitals as the routers do, the same answer however often it is asked', () => {
    expect(routedPath('/TOKEN')).toBe('/token');
    expect(routedPath('/TOKEN')).toBe('/token');
    expect(routedPath('/interaction/AbC-9z')).toBe('/interaction/abc-9z');
    expect(routedPath('/token')).toBe('/token');
    expect(routedPath('/TOKEN/Introspection')).toBe('/token/introspection');
    expect(routedPath('/Ünïcode/É')).toBe('/Ünïcode/É');
  });

  test('a gate lets only its paths into the middleware, whatever their case', async () => {
    const entered: string[] = [];
    const gate = onlyUnder(/^\/token$/, async (ctx) => { entered.push(ctx.path); });
    let passed = 0;
    const next = async () => { passed += 1; };
    for (const path of ['/TOKEN', '/token/introspection', '/Token', '/auth']) await gate({ path } as never, next);
    expect(entered).toEqual(['/TOKEN', '/Token']);
    expect(passed).toBe(2);
  });
});
