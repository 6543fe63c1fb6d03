/** Human descriptions shown on the consent page, one per scope. */
const DESCRIPTIONS: Record<string, string> = {
  openid: 'Sign you in and know who you are',
  profile: 'See your name',
  email: 'See your email address',
  offline_access: 'Stay connected when you are not using it (refresh tokens)',
  'api:read': 'Read data through the API on your behalf',
  'api:write': 'Change data through the API on your behalf',
};

export function describeScope(scope: string): { name: string; description: string } {
  return { name: scope, description: DESCRIPTIONS[scope] ?? `Use the "${scope}" permission` };
}
