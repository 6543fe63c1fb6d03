import { MongoClient } from 'mongodb';
import type { Adapter } from 'oidc-provider';

import type { Config } from '../config/index.ts';
import { createMongoAccountStore } from './accounts-mongo.ts';
import { createMongoAccountAccessStore } from './account-access-mongo.ts';
import { createMongoBackend } from './adapters/mongo.ts';
import { createMongoApiKeyStore } from './api-keys-mongo.ts';
import { createMongoAuditStore } from './audit-mongo.ts';
import { createMongoWebhookStore } from './audit-webhooks-mongo.ts';
import { BackendUnreachableError } from './backend-error.ts';
import { createMongoClientDirectory } from './client-directory-mongo.ts';
import { createMongoInvitationStore } from './invitations-mongo.ts';
import { createMongoMembershipStore } from './memberships-mongo.ts';
import { createMongoOrganizationStore } from './organizations-mongo.ts';
import { createMongoResourceServerStore } from './resource-servers.ts';
import { createMongoSigningKeyStore } from './signing-keys-mongo.ts';
import { createKeyCipher } from '../security/key-encryption.ts';

/** Connects to MongoDB; the driver's server selection waits up to `timeoutMs`. */
export async function connectMongo(uri: string, timeoutMs: number): Promise<MongoClient> {
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: timeoutMs, appName: 'gatehouse' });
  try {
    await client.connect();
    await client.db('admin').command({ ping: 1 });
    return client;
  } catch (err) {
    await client.close().catch(() => undefined);
    throw new BackendUnreachableError('MongoDB', uri, timeoutMs, err);
  }
}

/**
 * The durable side in MongoDB. Loaded only when MONGODB_URI is set (stores/index.ts
 * imports this module on demand), so the embedded default does not carry the driver.
 */
export async function openMongo(config: Config & { mongodbUri: string }) {
  const client = await connectMongo(config.mongodbUri, config.startupTimeoutMs);
  const db = client.db(config.mongodbDatabase);
  return {
    backend: createMongoBackend(db),
    accounts: createMongoAccountStore(db),
    signingKeys: createMongoSigningKeyStore(db, {
      cipher: config.keys.encryptionKeys.length > 0 ? createKeyCipher(config.keys.encryptionKeys) : undefined,
    }),
    resourceServers: createMongoResourceServerStore(db),
    apiKeys: createMongoApiKeyStore(db),
    organizations: createMongoOrganizationStore(db),
    memberships: createMongoMembershipStore(db),
    invitations: createMongoInvitationStore(db),
    accountAccess: createMongoAccountAccessStore(db),
    audit: createMongoAuditStore(db, { retentionDays: config.audit.retentionDays }),
    webhooks: createMongoWebhookStore(db),
    clients: (clientAdapter: Adapter) => createMongoClientDirectory(db, clientAdapter),
    close: () => client.close(),
  };
}
